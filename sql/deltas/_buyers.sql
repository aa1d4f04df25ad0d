-- wf_buyer_meta, wf_charged_home: what an order says about its buyer and about the VAT it charged, for
-- _orders.sql and the unmapped-rates summary. Needs the map_* tables and _macros.sql. woofort_assets/lib/buyers.py
-- runs this file and checks the VAT numbers into wf_buyer_numbers.

-- 1. Per order and kind (vat_number | organisation_number): the first non-empty scalar under the mapping's meta
-- keys (customers.*_meta_keys, in their order). The text test skips the JSON of orders that hold none of the keys.
CREATE OR REPLACE TEMP TABLE wf_buyer_meta AS
WITH candidates AS (
    SELECT o.order_id,
           upper(coalesce(nullif(trim(o.billing_country), ''), wf_tax_country(o.shipping_country, o.billing_country)))
               AS country,
           unnest(json_extract(o.meta_data, '$[*]')) AS m
    FROM wf_staged_orders o JOIN map_settings s ON o.shop = s.shop
    WHERE json_type(o.meta_data) = 'ARRAY'
      AND EXISTS (SELECT 1 FROM map_buyer_meta_keys k WHERE contains(CAST(o.meta_data AS VARCHAR), '"' || k.key || '"'))
)
SELECT c.order_id, any_value(c.country) AS country, k.kind,
       arg_min(trim(json_extract_string(c.m, '$.value')), k.priority) AS value
FROM candidates c JOIN map_buyer_meta_keys k ON k.key = json_extract_string(c.m, '$.key')
WHERE json_type(c.m, '$.value') IN ('VARCHAR', 'BIGINT', 'UBIGINT')
  AND nullif(trim(json_extract_string(c.m, '$.value')), '') IS NOT NULL
GROUP BY c.order_id, k.kind;

-- 2. Orders whose every charged tax line is a home-country rate: the rate's country in WooCommerce's tax table, else
-- the country that starts the tax line's rate code ("SE-MOMS-1"); a rate for every country ("") is the shop's own.
CREATE OR REPLACE TEMP TABLE wf_charged_home AS
SELECT t.order_id,
       bool_and(coalesce(nullif(upper(r.country), ''),
                         CASE WHEN r.tax_rate_id IS NULL AND regexp_matches(t.rate_code, '^[A-Z]{2}-')
                              THEN left(t.rate_code, 2) END,
                         s.home_country) = s.home_country) AS charged_home
FROM wf_staged_tax_lines t
JOIN map_settings s ON t.shop = s.shop
LEFT JOIN staging.tax_rates r ON r.shop = t.shop AND r.tax_rate_id = t.rate_id
WHERE t.tax_total <> 0 OR t.shipping_tax_total <> 0
GROUP BY t.order_id;
