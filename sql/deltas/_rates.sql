-- wf_fx_meta, wf_fx_table: where a foreign-currency order's rate can come from, for _orders.sql and
-- payment_delta.sql (docs/accounting.md "Foreign currency"). Needs the map_* tables and wf_rate_file
-- (woofort_assets/lib/fx_rates.py loads the operator's rate file into it).

-- 1. The rate a multi-currency plugin converted the order at, under the mapping's meta keys
-- (invoicing.currency_rate_meta_keys, first with a value wins): SEK per unit of the order currency, an inverse
-- key's value turned over. The text test skips the JSON of orders that hold none of the keys.
CREATE OR REPLACE TEMP TABLE wf_fx_meta AS
WITH candidates AS (
    SELECT o.order_id, upper(o.currency) AS currency, unnest(json_extract(o.meta_data, '$[*]')) AS m
    FROM wf_staged_orders o JOIN map_settings s ON o.shop = s.shop
    WHERE upper(o.currency) <> 'SEK' AND json_type(o.meta_data) = 'ARRAY'
      AND EXISTS (SELECT 1 FROM map_rate_meta_keys k WHERE contains(CAST(o.meta_data AS VARCHAR), '"' || k.key || '"'))
),
given AS (
    SELECT c.order_id, k.priority, k.inverse,
           TRY_CAST(CASE WHEN k.per_currency THEN json_extract_string(c.m, '$.value."' || c.currency || '".rate')
                         ELSE json_extract_string(c.m, '$.value') END AS DECIMAL(38, 12)) AS value
    FROM candidates c JOIN map_rate_meta_keys k ON k.key = json_extract_string(c.m, '$.key')
)
SELECT order_id,
       arg_min(CAST(CASE WHEN inverse THEN round(CAST(1 AS DECIMAL(38, 12)) / value, 6) ELSE value END
                    AS DECIMAL(18, 6)), priority) AS rate
FROM given WHERE value > 0
GROUP BY order_id;

-- 2. Dated rates, one per currency and day: Fortnox's register (one rate per currency, for the date it holds)
-- before the operator's file.
CREATE OR REPLACE TEMP TABLE wf_fx_dated AS
WITH t AS (
    SELECT 1 AS priority, r.currency, r.rate_date, r.rate, r.unit
    FROM ledger.fortnox_currency_rates r JOIN map_settings s ON r.shop = s.shop
    UNION ALL
    SELECT 2, f.currency, f.rate_date, f.rate, f.unit FROM wf_rate_file f
)
SELECT currency, rate_date, arg_min(rate, priority) AS rate, arg_min(unit, priority) AS unit
FROM t GROUP BY currency, rate_date;
