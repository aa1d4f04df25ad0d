-- wf_articles: every sellable WooCommerce product (simple products and variations) with its Fortnox
-- ArticleNumber, description and VAT. Shared by article_delta, price_delta, stock_delta and the invoice rows.
-- ArticleNumber rule (docs/accounting.md "Article numbers"): the SKU when it matches articles.sku_pattern and no
-- product with a lower id already uses it (case-insensitive), else <derived_prefix><product_id>[-<variation_id>].
CREATE OR REPLACE TEMP TABLE wf_articles AS
WITH src AS (
    SELECT p.product_id, CAST(NULL AS BIGINT) AS variation_id, nullif(trim(p.sku), '') AS sku, p.name AS name,
           p.type, p.status, p.tax_status, coalesce(p.tax_class, '') AS tax_class,
           coalesce(p.manage_stock, false) AS manage_stock, p.stock_quantity,
           coalesce(p.is_virtual, false) OR coalesce(p.downloadable, false) AS is_service,
           p.price, p.regular_price
    FROM staging.products p, map_settings s
    WHERE p.shop = s.shop AND p.type NOT IN ('variable', 'grouped', 'external') AND p.status <> 'trash'
    UNION ALL
    SELECT v.product_id, v.variation_id, nullif(trim(v.sku), ''),
           p.name || coalesce(' - ' || nullif(array_to_string(list_transform(
               CAST(json_extract(v.attributes, '$[*]') AS JSON[]),
               lambda a: json_extract_string(a, '$.option')), ', '), ''), ''),
           'variation', coalesce(v.status, p.status), coalesce(v.tax_status, p.tax_status),
           CASE WHEN v.tax_class IS NULL OR v.tax_class = 'parent' THEN coalesce(p.tax_class, '') ELSE v.tax_class END,
           lower(coalesce(v.manage_stock, 'false')) = 'true',
           v.stock_quantity,
           coalesce(p.is_virtual, false) OR coalesce(p.downloadable, false),
           v.price, v.regular_price
    FROM staging.variations v
    JOIN map_settings s ON v.shop = s.shop
    JOIN staging.products p ON p.shop = v.shop AND p.product_id = v.product_id
    WHERE coalesce(v.status, '') <> 'trash'
),
numbered AS (
    SELECT src.*,
           s.derived_prefix || product_id::VARCHAR || coalesce('-' || variation_id::VARCHAR, '') AS derived_number,
           CASE WHEN sku IS NOT NULL AND regexp_matches(sku, s.sku_pattern) AND length(sku) <= 50 THEN sku END AS sku_number
    FROM src, map_settings s
),
deduped AS (
    SELECT *,
           CASE WHEN sku_number IS NOT NULL
                     AND row_number() OVER (PARTITION BY upper(sku_number) ORDER BY product_id, variation_id NULLS FIRST) = 1
                THEN sku_number ELSE derived_number END AS article_number
    FROM numbered
),
class_rate AS (
    SELECT d.product_id, d.variation_id,
           CASE WHEN d.tax_status = 'none' THEN 0 ELSE coalesce(
               (SELECT vat_rate FROM map_tax_classes m
                WHERE m.tax_class = CASE WHEN d.tax_class = '' THEN 'standard' ELSE d.tax_class END),
               (SELECT t.rate FROM staging.tax_rates t, map_settings s
                WHERE t.shop = s.shop AND t.tax_class = CASE WHEN d.tax_class = '' THEN 'standard' ELSE d.tax_class END
                  AND upper(coalesce(t.country, '')) IN (s.home_country, '')
                ORDER BY t.country DESC NULLS LAST, t.priority, t.tax_rate_id LIMIT 1),
               (SELECT vat_rate FROM map_tax_classes m WHERE m.tax_class = 'standard')) END AS vat_rate
    FROM deduped d
)
SELECT d.*, CAST(c.vat_rate AS DECIMAL(9, 4)) AS vat_rate,
       (SELECT account FROM map_accounts a WHERE a.region = 'sweden' AND a.kind = 'sales' AND a.vat_rate = c.vat_rate) AS sales_account,
       (SELECT account FROM map_accounts a WHERE a.region = 'eu_business' AND a.kind = 'sales' LIMIT 1) AS eu_account,
       (SELECT max(account) FROM map_accounts a WHERE a.region = 'eu_consumer' AND a.kind = 'sales') AS eu_vat_account,
       (SELECT account FROM map_accounts a WHERE a.region = 'export' AND a.kind = 'sales' LIMIT 1) AS export_account
FROM deduped d
JOIN class_rate c ON c.product_id = d.product_id AND c.variation_id IS NOT DISTINCT FROM d.variation_id;
