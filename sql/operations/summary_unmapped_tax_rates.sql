-- VAT rates charged on lines of invoiceable orders that the mapping has no revenue account for (accounts.<region>,
-- per OSS country for eu_consumer): such orders are left out as vat_rate_not_in_mapping. Shared by the preflight's
-- warnings and the sync summary (woofort_assets/lib/unmapped.py). Needs the map_* tables, the macros of
-- sql/deltas/_macros.sql (wf_tax_country, wf_region) and wf_buyer_numbers, wf_charged_home (lib/buyers.py). A
-- line's rate is the rate of its tax ids (the order's tax lines, else staging.tax_rates), 0 when no tax was
-- charged; lines whose rate is unknown are another reason.
-- One row per (region, country, rate): kinds of line, orders, first order ids.
WITH o AS (
    SELECT o.order_id,
           wf_tax_country(o.shipping_country, o.billing_country) AS tax_country,
           wf_region(wf_tax_country(o.shipping_country, o.billing_country),
                     coalesce(b.vat_number_country <> s.home_country, false), o.total_tax,
                     coalesce(ch.charged_home, false)) AS region
    FROM staging.orders o
    JOIN map_settings s ON o.shop = s.shop
    LEFT JOIN wf_buyer_numbers b ON b.order_id = o.order_id
    LEFT JOIN wf_charged_home ch ON ch.order_id = o.order_id
    WHERE CAST(o.date_created AS DATE) >= s.start_date
      AND o.status IN (SELECT status FROM map_trigger_statuses)
),
ids AS (
    SELECT l.order_id, l.line_id, l.line_type, l.total_tax, unnest(coalesce(l.tax_rate_ids, [])) AS rate_id
    FROM staging.order_lines l JOIN map_settings s ON l.shop = s.shop
    WHERE l.order_id IN (SELECT order_id FROM o)
),
line_rates AS (
    SELECT ids.order_id, ids.line_id, any_value(ids.line_type) AS line_type,
           min(coalesce(tl.rate_percent, tr.rate)) AS rate, count(DISTINCT coalesce(tl.rate_percent, tr.rate)) AS n_rates
    FROM ids
    LEFT JOIN (SELECT x.order_id, x.rate_id, max(x.rate_percent) AS rate_percent
               FROM staging.order_tax_lines x JOIN map_settings s ON x.shop = s.shop GROUP BY ALL) tl
           ON tl.order_id = ids.order_id AND tl.rate_id = ids.rate_id
    LEFT JOIN (SELECT t.tax_rate_id, t.rate FROM staging.tax_rates t JOIN map_settings s ON t.shop = s.shop) tr
           ON tr.tax_rate_id = ids.rate_id
    WHERE ids.total_tax <> 0
    GROUP BY ALL
),
lines AS (
    SELECT o.order_id, o.region, o.tax_country, r.rate,
           CASE r.line_type WHEN 'line_item' THEN 'sales' WHEN 'shipping' THEN 'freight' ELSE 'fee' END AS kind
    FROM line_rates r JOIN o ON o.order_id = r.order_id
    WHERE r.n_rates = 1 AND r.rate IS NOT NULL
)
SELECT l.region, CASE WHEN l.region = 'eu_consumer' THEN l.tax_country END AS country,
       CAST(l.rate AS DECIMAL(9, 4)) AS vat_rate,
       list(DISTINCT l.kind ORDER BY l.kind) AS kinds,
       count(DISTINCT l.order_id) AS orders,
       list(DISTINCT l.order_id ORDER BY l.order_id)[1:5] AS first_orders
FROM lines l
WHERE NOT EXISTS (SELECT 1 FROM map_accounts m
                  WHERE m.region = l.region AND m.kind = l.kind AND m.vat_rate = l.rate
                    AND m.country IS NOT DISTINCT FROM CASE WHEN l.region = 'eu_consumer' THEN l.tax_country END)
GROUP BY ALL
ORDER BY orders DESC, 1, 2, 3;
