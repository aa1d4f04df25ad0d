-- The per-day tables (docs/accounting.md §12 "Per-day rule"), aggregated from the per-document rows kept in
-- reconciliation.day_buckets and day_documents (reconcile.sql writes them per order of the build's scope), for the
-- days the scope's documents were or are on (rc_days, woofort_assets/defs/reconciliation/scope.py; every day in a
-- full build). Written as rc_new_<table> (TEMP) that scope.py puts in place of those days' rows.

CREATE OR REPLACE TEMP TABLE rc_day_docs AS
SELECT d.* FROM reconciliation.day_documents d, map_settings m
WHERE d.shop = m.shop AND d.day IN (SELECT day FROM rc_days);

CREATE OR REPLACE TEMP TABLE rc_day_buckets AS
SELECT b.* FROM reconciliation.day_buckets b, map_settings m
WHERE b.shop = m.shop AND b.day IN (SELECT day FROM rc_days);

-- Per day, currency and VAT rate. VAT must be equal (woofort's rows make Fortnox's VAT per rate WooCommerce's
-- tax). net_diff is woofort's own VAT rounding rows ("Momsavrundning", docs/accounting.md §3; their amounts are
-- shown as fx_vat_rounding, incl. VAT on gross-mode documents); it must stay within their documented bound,
-- net_bound = Σ over documents of (rows + 2) x ½ öre ÷ rate (the bound _orders.sql step 3 enforces per order).
CREATE OR REPLACE TEMP TABLE rc_new_by_day_rate AS
WITH agg AS (
    SELECT day, currency, vat_rate,
           count(DISTINCT doc) FILTER (WHERE side = 'woocommerce') AS woo_docs,
           count(DISTINCT doc) FILTER (WHERE side = 'fortnox') AS fx_docs,
           coalesce(sum(net_cents) FILTER (WHERE side = 'woocommerce'), 0) AS woo_net,
           coalesce(sum(vat_cents) FILTER (WHERE side = 'woocommerce'), 0) AS woo_vat,
           coalesce(sum(net_cents) FILTER (WHERE side = 'fortnox'), 0) AS fx_net,
           coalesce(sum(vat_cents) FILTER (WHERE side = 'fortnox'), 0) AS fx_vat,
           coalesce(sum(vat_rounding_cents) FILTER (WHERE side = 'fortnox'), 0) AS fx_vat_rounding,
           coalesce(sum(rc_sek(net_cents, rate)) FILTER (WHERE side = 'woocommerce'), 0) AS woo_net_sek,
           coalesce(sum(rc_sek(vat_cents, rate)) FILTER (WHERE side = 'woocommerce'), 0) AS woo_vat_sek,
           coalesce(sum(rc_sek(net_cents, rate)) FILTER (WHERE side = 'fortnox'), 0) AS fx_net_sek,
           coalesce(sum(rc_sek(vat_cents, rate)) FILTER (WHERE side = 'fortnox'), 0) AS fx_vat_sek,
           coalesce(sum(n_rows + 2) FILTER (WHERE side = 'fortnox'), 0) AS bound_rows
    FROM rc_day_buckets GROUP BY ALL
)
SELECT (SELECT shop FROM map_settings) AS shop, day, currency, vat_rate, woo_docs, fx_docs,
       rc_amount(woo_net) AS woo_net, rc_amount(woo_vat) AS woo_vat, rc_amount(woo_net + woo_vat) AS woo_gross,
       rc_amount(fx_net) AS fx_net, rc_amount(fx_vat) AS fx_vat, rc_amount(fx_net + fx_vat) AS fx_gross,
       rc_amount(fx_net - woo_net) AS net_diff, rc_amount(fx_vat - woo_vat) AS vat_diff,
       rc_amount(fx_net + fx_vat - woo_net - woo_vat) AS gross_diff,
       rc_amount(fx_vat_rounding) AS fx_vat_rounding,
       -- |x| <= (rows + 2) x 100 / (2 r) öre per document and rate (the VAT rounding row's bound, _orders.sql step 3)
       rc_amount(CASE WHEN vat_rate IS NULL OR vat_rate = 0 THEN 0
                      ELSE rc_div_ceil(bound_rows * 100 * 10000, 2 * rc_rate_units(vat_rate)) END) AS net_bound,
       rc_amount(woo_net_sek) AS woo_net_sek, rc_amount(woo_vat_sek) AS woo_vat_sek,
       rc_amount(fx_net_sek) AS fx_net_sek, rc_amount(fx_vat_sek) AS fx_vat_sek,
       rc_amount(fx_vat_sek - woo_vat_sek) AS vat_diff_sek,
       rc_amount(fx_net_sek + fx_vat_sek - woo_net_sek - woo_vat_sek) AS gross_diff_sek
FROM agg
ORDER BY day, currency, vat_rate NULLS LAST;

-- Per day and currency: the document totals (WooCommerce order totals minus refunds; Fortnox Total of invoices
-- minus credit invoices).
CREATE OR REPLACE TEMP TABLE rc_new_by_day_currency AS
WITH w AS (
    SELECT day, currency, sum(gross_cents) AS cur, sum(rc_sek(gross_cents, rate)) AS sek FROM rc_day_docs
    WHERE side = 'woocommerce' AND NOT is_set_aside GROUP BY ALL
),
f AS (
    SELECT day, currency, sum(gross_cents) AS cur, sum(rc_sek(gross_cents, rate)) AS sek,
           sum(roundoff_cents) AS roundoff
    FROM rc_day_docs WHERE side = 'fortnox' GROUP BY ALL
)
SELECT (SELECT shop FROM map_settings) AS shop, coalesce(w.day, f.day) AS day, coalesce(w.currency, f.currency) AS currency,
       rc_amount(coalesce(w.cur, 0)) AS woo_gross, rc_amount(coalesce(f.cur, 0)) AS fx_gross,
       rc_amount(coalesce(f.cur, 0) - coalesce(w.cur, 0)) AS difference,
       rc_amount(coalesce(w.sek, 0)) AS woo_gross_sek, rc_amount(coalesce(f.sek, 0)) AS fx_gross_sek,
       rc_amount(coalesce(f.sek, 0) - coalesce(w.sek, 0)) AS difference_sek,
       rc_amount(coalesce(f.roundoff, 0)) AS fx_roundoff
FROM w FULL OUTER JOIN f ON w.day = f.day AND w.currency = f.currency
ORDER BY 2, 3;

-- The per-day summary the demo prints (SEK).
CREATE OR REPLACE TEMP TABLE rc_new_by_day AS
WITH days AS (
    SELECT DISTINCT day FROM rc_day_docs
),
w AS (SELECT day, count(*) FILTER (WHERE kind = 'invoice' AND NOT is_set_aside) AS orders,
             count(*) FILTER (WHERE kind = 'credit' AND NOT is_set_aside) AS refunds,
             count(*) FILTER (WHERE is_set_aside) AS set_aside,
             sum(rc_sek(gross_cents, rate)) FILTER (WHERE NOT is_set_aside) AS sek,
             sum(rc_sek(gross_cents, rate)) FILTER (WHERE is_set_aside) AS set_aside_sek
      FROM rc_day_docs WHERE side = 'woocommerce' GROUP BY day),
f AS (SELECT day, count(*) FILTER (WHERE kind = 'invoice') AS invoiced, count(*) FILTER (WHERE kind = 'credit') AS credits,
             sum(rc_sek(gross_cents, rate)) AS sek, sum(rc_sek(roundoff_cents, rate)) AS roundoff
      FROM rc_day_docs WHERE side = 'fortnox' GROUP BY day),
e AS (SELECT day, count(*) AS excluded FROM rc_day_docs WHERE side = 'excluded' GROUP BY ALL)
SELECT (SELECT shop FROM map_settings) AS shop, d.day, coalesce(w.orders, 0) AS orders,
       coalesce(f.invoiced, 0) AS invoiced, coalesce(e.excluded, 0) AS excluded,
       coalesce(w.refunds, 0) AS refunds, coalesce(f.credits, 0) AS credits,
       rc_amount(coalesce(w.sek, 0)) AS woo_gross_sek, rc_amount(coalesce(f.sek, 0)) AS fx_gross_sek,
       rc_amount(coalesce(f.sek, 0) - coalesce(w.sek, 0)) AS difference_sek,
       rc_amount(coalesce(f.roundoff, 0)) AS fx_roundoff_sek,
       coalesce(w.set_aside, 0) AS set_aside, rc_amount(coalesce(w.set_aside_sek, 0)) AS set_aside_gross_sek
FROM days d LEFT JOIN w ON w.day = d.day LEFT JOIN f ON f.day = d.day LEFT JOIN e ON e.day = d.day
ORDER BY d.day;
