-- The per-day tables (docs/accounting.md §12 "Per-day rule") for the days the scope's documents were or are on
-- (rc_days, below; every day in a full build), written as rc_new_<table> (TEMP) that
-- woofort_assets/defs/reconciliation/scope.py puts in place of those days' rows. Each is derived from running sums
-- per day (and currency, and VAT rate) kept in reconciliation.day_rate_sums, day_currency_sums and day_sums: a build
-- adds what the scope's per-document rows are now (rc_new_day_buckets, rc_new_day_documents, reconcile.sql) and
-- subtracts what they were (reconciliation.day_buckets / day_documents of the scope's orders, read before scope.py
-- replaces them), so a batch costs in proportion to itself, not to the days it touches. A document belongs to one
-- order, so the documents counted inside and outside the scope are disjoint and a count of distinct documents adds
-- up too. A group whose rows all went (n = 0) is dropped, as an aggregation of the rows would not have it. The
-- scope's old rows are read with a semi join of their own (an OR with `order_id IS NULL` would read every row
-- group), which skips the row groups outside the scope's order ids (scope.py keeps the tables in order_id order).

CREATE OR REPLACE TEMP TABLE rc_bucket_changes AS
SELECT 1 AS sign, * FROM rc_new_day_buckets
UNION ALL BY NAME
SELECT -1 AS sign, b.* FROM reconciliation.day_buckets b, map_settings m
WHERE NOT $full AND b.shop = m.shop AND b.order_id IN (SELECT order_id FROM rc_scope)
UNION ALL BY NAME
SELECT -1 AS sign, b.* FROM reconciliation.day_buckets b, map_settings m
WHERE NOT $full AND b.shop = m.shop AND b.order_id IS NULL;

CREATE OR REPLACE TEMP TABLE rc_day_document_changes AS
SELECT 1 AS sign, * FROM rc_new_day_documents
UNION ALL BY NAME
SELECT -1 AS sign, d.* FROM reconciliation.day_documents d, map_settings m
WHERE NOT $full AND d.shop = m.shop AND d.order_id IN (SELECT order_id FROM rc_scope)
UNION ALL BY NAME
SELECT -1 AS sign, d.* FROM reconciliation.day_documents d, map_settings m
WHERE NOT $full AND d.shop = m.shop AND d.order_id IS NULL;

CREATE OR REPLACE TEMP TABLE rc_days AS SELECT DISTINCT day FROM rc_day_document_changes;

-- Per day, currency and VAT rate, in cents.
CREATE OR REPLACE TEMP TABLE rc_new_day_rate_sums AS
WITH changes AS (
    SELECT day, currency, vat_rate, sign, count(*) AS n,
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
    FROM rc_bucket_changes GROUP BY ALL
),
parts AS (
    SELECT s.* EXCLUDE (shop) FROM reconciliation.day_rate_sums s, map_settings m
    WHERE NOT $full AND s.shop = m.shop AND s.day IN (SELECT day FROM rc_days)
    UNION ALL BY NAME
    SELECT day, currency, vat_rate, sign * n AS n, sign * woo_docs AS woo_docs, sign * fx_docs AS fx_docs,
           sign * woo_net AS woo_net, sign * woo_vat AS woo_vat, sign * fx_net AS fx_net, sign * fx_vat AS fx_vat,
           sign * fx_vat_rounding AS fx_vat_rounding, sign * woo_net_sek AS woo_net_sek,
           sign * woo_vat_sek AS woo_vat_sek, sign * fx_net_sek AS fx_net_sek, sign * fx_vat_sek AS fx_vat_sek,
           sign * bound_rows AS bound_rows
    FROM changes
)
SELECT (SELECT shop FROM map_settings) AS shop, day, currency, vat_rate, CAST(sum(n) AS BIGINT) AS n,
       CAST(sum(woo_docs) AS BIGINT) AS woo_docs, CAST(sum(fx_docs) AS BIGINT) AS fx_docs,
       CAST(sum(woo_net) AS HUGEINT) AS woo_net, CAST(sum(woo_vat) AS HUGEINT) AS woo_vat,
       CAST(sum(fx_net) AS HUGEINT) AS fx_net, CAST(sum(fx_vat) AS HUGEINT) AS fx_vat,
       CAST(sum(fx_vat_rounding) AS HUGEINT) AS fx_vat_rounding, CAST(sum(woo_net_sek) AS HUGEINT) AS woo_net_sek,
       CAST(sum(woo_vat_sek) AS HUGEINT) AS woo_vat_sek, CAST(sum(fx_net_sek) AS HUGEINT) AS fx_net_sek,
       CAST(sum(fx_vat_sek) AS HUGEINT) AS fx_vat_sek, CAST(sum(bound_rows) AS HUGEINT) AS bound_rows
FROM parts GROUP BY day, currency, vat_rate HAVING sum(n) > 0;

-- Per day and currency, in cents: WooCommerce's documents that are not set aside (w_), Fortnox's (f_).
CREATE OR REPLACE TEMP TABLE rc_new_day_currency_sums AS
WITH changes AS (
    SELECT day, currency, sign,
           count(*) FILTER (WHERE side = 'woocommerce' AND NOT is_set_aside) AS w_n,
           coalesce(sum(gross_cents) FILTER (WHERE side = 'woocommerce' AND NOT is_set_aside), 0) AS w_cur,
           coalesce(sum(rc_sek(gross_cents, rate)) FILTER (WHERE side = 'woocommerce' AND NOT is_set_aside), 0) AS w_sek,
           count(*) FILTER (WHERE side = 'fortnox') AS f_n,
           coalesce(sum(gross_cents) FILTER (WHERE side = 'fortnox'), 0) AS f_cur,
           coalesce(sum(rc_sek(gross_cents, rate)) FILTER (WHERE side = 'fortnox'), 0) AS f_sek,
           coalesce(sum(roundoff_cents) FILTER (WHERE side = 'fortnox'), 0) AS f_roundoff
    FROM rc_day_document_changes WHERE side IN ('woocommerce', 'fortnox') GROUP BY ALL
),
parts AS (
    SELECT s.* EXCLUDE (shop) FROM reconciliation.day_currency_sums s, map_settings m
    WHERE NOT $full AND s.shop = m.shop AND s.day IN (SELECT day FROM rc_days)
    UNION ALL BY NAME
    SELECT day, currency, sign * w_n AS w_n, sign * w_cur AS w_cur, sign * w_sek AS w_sek, sign * f_n AS f_n,
           sign * f_cur AS f_cur, sign * f_sek AS f_sek, sign * f_roundoff AS f_roundoff
    FROM changes
)
SELECT (SELECT shop FROM map_settings) AS shop, day, currency, CAST(sum(w_n) AS BIGINT) AS w_n,
       CAST(sum(w_cur) AS HUGEINT) AS w_cur, CAST(sum(w_sek) AS HUGEINT) AS w_sek, CAST(sum(f_n) AS BIGINT) AS f_n,
       CAST(sum(f_cur) AS HUGEINT) AS f_cur, CAST(sum(f_sek) AS HUGEINT) AS f_sek,
       CAST(sum(f_roundoff) AS HUGEINT) AS f_roundoff
FROM parts GROUP BY day, currency HAVING sum(w_n) > 0 OR sum(f_n) > 0;

-- Per day, in SEK cents: every document of the day, WooCommerce's (set aside or not), Fortnox's and the excluded
-- orders.
CREATE OR REPLACE TEMP TABLE rc_new_day_sums AS
WITH changes AS (
    SELECT day, sign, count(*) AS n,
           count(*) FILTER (WHERE side = 'woocommerce' AND kind = 'invoice' AND NOT is_set_aside) AS orders,
           count(*) FILTER (WHERE side = 'woocommerce' AND kind = 'credit' AND NOT is_set_aside) AS refunds,
           count(*) FILTER (WHERE side = 'woocommerce' AND is_set_aside) AS set_aside,
           coalesce(sum(rc_sek(gross_cents, rate)) FILTER (WHERE side = 'woocommerce' AND NOT is_set_aside), 0) AS w_sek,
           coalesce(sum(rc_sek(gross_cents, rate)) FILTER (WHERE side = 'woocommerce' AND is_set_aside), 0) AS set_aside_sek,
           count(*) FILTER (WHERE side = 'fortnox' AND kind = 'invoice') AS invoiced,
           count(*) FILTER (WHERE side = 'fortnox' AND kind = 'credit') AS credits,
           coalesce(sum(rc_sek(gross_cents, rate)) FILTER (WHERE side = 'fortnox'), 0) AS f_sek,
           coalesce(sum(rc_sek(roundoff_cents, rate)) FILTER (WHERE side = 'fortnox'), 0) AS f_roundoff_sek,
           count(*) FILTER (WHERE side = 'excluded') AS excluded
    FROM rc_day_document_changes GROUP BY ALL
),
parts AS (
    SELECT s.* EXCLUDE (shop) FROM reconciliation.day_sums s, map_settings m
    WHERE NOT $full AND s.shop = m.shop AND s.day IN (SELECT day FROM rc_days)
    UNION ALL BY NAME
    SELECT day, sign * n AS n, sign * orders AS orders, sign * refunds AS refunds, sign * set_aside AS set_aside,
           sign * w_sek AS w_sek, sign * set_aside_sek AS set_aside_sek, sign * invoiced AS invoiced,
           sign * credits AS credits, sign * f_sek AS f_sek, sign * f_roundoff_sek AS f_roundoff_sek,
           sign * excluded AS excluded
    FROM changes
)
SELECT (SELECT shop FROM map_settings) AS shop, day, CAST(sum(n) AS BIGINT) AS n,
       CAST(sum(orders) AS BIGINT) AS orders, CAST(sum(refunds) AS BIGINT) AS refunds,
       CAST(sum(set_aside) AS BIGINT) AS set_aside, CAST(sum(w_sek) AS HUGEINT) AS w_sek,
       CAST(sum(set_aside_sek) AS HUGEINT) AS set_aside_sek, CAST(sum(invoiced) AS BIGINT) AS invoiced,
       CAST(sum(credits) AS BIGINT) AS credits, CAST(sum(f_sek) AS HUGEINT) AS f_sek,
       CAST(sum(f_roundoff_sek) AS HUGEINT) AS f_roundoff_sek, CAST(sum(excluded) AS BIGINT) AS excluded
FROM parts GROUP BY day HAVING sum(n) > 0;

-- Per day, currency and VAT rate. VAT must be equal (woofort's rows make Fortnox's VAT per rate WooCommerce's
-- tax). net_diff is woofort's own VAT rounding rows ("Momsavrundning", docs/accounting.md §3; their amounts are
-- shown as fx_vat_rounding, incl. VAT on gross-mode documents); it must stay within their documented bound,
-- net_bound = Σ over documents of (rows + 2) x ½ öre ÷ rate (the bound _orders.sql step 3 enforces per order).
CREATE OR REPLACE TEMP TABLE rc_new_by_day_rate AS
SELECT shop, day, currency, vat_rate, woo_docs, fx_docs,
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
FROM rc_new_day_rate_sums
ORDER BY day, currency, vat_rate NULLS LAST;

-- Per day and currency: the document totals (WooCommerce order totals minus refunds; Fortnox Total of invoices
-- minus credit invoices).
CREATE OR REPLACE TEMP TABLE rc_new_by_day_currency AS
SELECT shop, day, currency, rc_amount(w_cur) AS woo_gross, rc_amount(f_cur) AS fx_gross,
       rc_amount(f_cur - w_cur) AS difference, rc_amount(w_sek) AS woo_gross_sek, rc_amount(f_sek) AS fx_gross_sek,
       rc_amount(f_sek - w_sek) AS difference_sek, rc_amount(f_roundoff) AS fx_roundoff
FROM rc_new_day_currency_sums
ORDER BY day, currency;

-- The per-day summary the demo prints (SEK).
CREATE OR REPLACE TEMP TABLE rc_new_by_day AS
SELECT shop, day, orders, invoiced, excluded, refunds, credits,
       rc_amount(w_sek) AS woo_gross_sek, rc_amount(f_sek) AS fx_gross_sek, rc_amount(f_sek - w_sek) AS difference_sek,
       rc_amount(f_roundoff_sek) AS fx_roundoff_sek, set_aside, rc_amount(set_aside_sek) AS set_aside_gross_sek
FROM rc_new_day_sums
ORDER BY day;
