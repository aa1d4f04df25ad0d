-- deltas.price_delta: the price of every article in the mapping's price list at FromQuantity 0.
-- Prices in Fortnox price lists are EXCLUDING VAT (invoices send their own row prices, so this list is what a
-- manual Fortnox invoice would use). WooCommerce prices entered with tax (articles.prices_include_tax) are
-- converted: round2(price / (1 + VAT/100)), half-up, in integer öre. The price is articles.price_source
-- (regular_price by default; sale prices are temporary). Articles without a price get no row.
-- action upsert, source_key '<PriceList>/<ArticleNumber>'.
CREATE OR REPLACE TABLE deltas.price_delta AS
WITH p AS (
    SELECT w.*, s.price_list,
           CASE s.price_source WHEN 'price' THEN w.price ELSE coalesce(w.regular_price, w.price) END AS woo_price,
           s.article_prices_include_tax AS incl
    FROM wf_articles w, map_settings s
),
q AS (
    SELECT p.*,
           CASE WHEN incl THEN wf_amount(wf_div_half_up(wf_cents(woo_price) * 1000000, 1000000 + wf_rate_units(vat_rate)))
                ELSE CAST(round(woo_price, 2) AS DECIMAL(18, 2)) END AS price_ex_vat
    FROM p WHERE woo_price IS NOT NULL
),
j AS (
    SELECT q.*, json_object('Price', json_object('ArticleNumber', article_number, 'PriceList', price_list,
                                                  'FromQuantity', 0, 'Price', price_ex_vat)) AS payload
    FROM q
)
SELECT (SELECT shop FROM map_settings) AS shop, j.price_list || '/' || j.article_number AS source_key, 'price' AS entity,
       'upsert' AS action, j.payload, md5(CAST(j.payload AS VARCHAR)) AS payload_hash,
       CAST(NULL AS BIGINT) AS order_id, CAST(NULL AS VARCHAR) AS ref_entity, CAST(NULL AS VARCHAR) AS ref_source_key,
       j.article_number, j.price_list, j.woo_price, j.price_ex_vat
FROM j
LEFT JOIN ledger.documents d
       ON d.shop = (SELECT shop FROM map_settings) AND d.entity = 'price' AND d.source_key = j.price_list || '/' || j.article_number
WHERE d.payload_hash IS DISTINCT FROM md5(CAST(j.payload AS VARCHAR))
ORDER BY source_key;
