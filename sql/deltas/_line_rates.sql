-- wf_line_rates, wf_line_parts: the VAT rates WooCommerce taxed each staged order line at, and how shipping and
-- fees taxed at several rates are split over them. Read by _orders.sql (wf_lines) and credit_delta (refunds of a
-- split line). Needs _macros.sql.

-- 1. The VAT rate of every order line: from its taxes (tax_lines.rate_percent, else staging.tax_rates), 0 when
-- no tax was charged, else the mapped rate that reproduces the line's tax. Per tax id first, with WooCommerce's
-- tax of the line at that id (taxes[].total, NULL when not staged).
CREATE OR REPLACE TEMP TABLE wf_line_rate_ids AS
WITH ids AS (
    SELECT l.order_id, l.line_id, unnest(l.tax_rate_ids) AS rate_id,
           CASE WHEN len(l.tax_rate_ids) > 1 THEN l.tax_totals END AS tax_totals   -- only a split needs them
    FROM wf_staged_order_lines l, map_settings s WHERE l.shop = s.shop
)
SELECT ids.order_id, ids.line_id, coalesce(tl.rate_percent, tr.rate) AS rate,
       list_filter(ids.tax_totals, t -> t.rate_id = ids.rate_id)[1].total AS woo_tax
FROM ids
LEFT JOIN (SELECT order_id, rate_id, max(rate_percent) AS rate_percent
           FROM wf_staged_tax_lines x, map_settings s WHERE x.shop = s.shop GROUP BY ALL) tl
       ON tl.order_id = ids.order_id AND tl.rate_id = ids.rate_id
LEFT JOIN (SELECT t.tax_rate_id, t.rate FROM staging.tax_rates t, map_settings s WHERE t.shop = s.shop) tr
       ON tr.tax_rate_id = ids.rate_id;

CREATE OR REPLACE TEMP TABLE wf_line_rates AS
SELECT order_id, line_id, count(DISTINCT rate) AS n_rates, count(*) FILTER (WHERE rate IS NULL) AS n_unknown,
       min(rate) AS rate, list(DISTINCT rate ORDER BY rate DESC) FILTER (WHERE rate IS NOT NULL) AS rates
FROM wf_line_rate_ids GROUP BY ALL;

-- 2. Shipping and fees taxed at several rates, split by the goods' net value per rate (Skatteverket's rule for
-- ancillary costs, docs/accounting.md §3): the net by largest remainder over the line items' net at each of the
-- line's rates. Each part's tax is WooCommerce's tax of the line at that rate (taxes[].total, migration 028), so
-- Fortnox's VAT per rate is WooCommerce's; for a line staged without it, its net at its rate rounded, the öre those
-- roundings miss of the line's tax going to the largest part. A line whose goods carry none of its rates is not
-- split (and listed).
CREATE OR REPLACE TEMP TABLE wf_line_parts AS
WITH goods AS (
    SELECT l.order_id, r.rate, sum(wf_cents(l.total)) AS net_cents
    FROM wf_staged_order_lines l, map_settings s, wf_line_rates r
    WHERE l.shop = s.shop AND l.line_type = 'line_item' AND r.order_id = l.order_id AND r.line_id = l.line_id
      AND r.n_rates = 1 AND r.n_unknown = 0
    GROUP BY ALL
),
charges AS (
    SELECT l.order_id, l.line_id, wf_cents(l.total) AS net_cents, wf_cents(l.total_tax) AS tax_cents,
           unnest(r.rates) AS rate, generate_subscripts(r.rates, 1) AS i
    FROM wf_staged_order_lines l, map_settings s, wf_line_rates r
    WHERE l.shop = s.shop AND l.line_type IN ('shipping', 'fee') AND r.order_id = l.order_id
      AND r.line_id = l.line_id AND r.n_rates > 1 AND r.n_unknown = 0
),
staged AS (
    SELECT order_id, line_id, rate, wf_cents(sum(woo_tax)) AS tax_cents, bool_and(woo_tax IS NOT NULL) AS known
    FROM wf_line_rate_ids x
    WHERE rate IS NOT NULL AND EXISTS (SELECT 1 FROM charges c WHERE c.order_id = x.order_id AND c.line_id = x.line_id)
    GROUP BY ALL
),
split AS (
    SELECT c.order_id, c.line_id, any_value(c.net_cents) AS net_cents, any_value(c.tax_cents) AS tax_cents,
           list(c.rate ORDER BY c.i) AS rates,
           list(CAST(greatest(coalesce(g.net_cents, 0), 0) AS HUGEINT) ORDER BY c.i) AS weights,
           CASE WHEN bool_and(coalesce(w.known, false)) THEN list(w.tax_cents ORDER BY c.i) END AS woo_taxes
    FROM charges c
    LEFT JOIN goods g ON g.order_id = c.order_id AND g.rate = c.rate
    LEFT JOIN staged w ON w.order_id = c.order_id AND w.line_id = c.line_id AND w.rate = c.rate
    GROUP BY c.order_id, c.line_id
),
nets AS (
    SELECT *, wf_apportion(net_cents, weights) AS nets FROM split WHERE list_sum(weights) > 0
),
taxes AS (
    -- WooCommerce's rounding (half up), not Fortnox's model: this stands in for WooCommerce's own per-rate tax
    SELECT *, list_transform(nets, (n, i) -> wf_div_half_up(n * wf_rate_units(rates[i]), 1000000)) AS rounded
    FROM nets
)
SELECT order_id, line_id, CAST(unnest(range(1, len(rates) + 1)) AS INTEGER) AS part, len(rates) AS n_parts,
       unnest(rates) AS vat_rate, unnest(nets) AS net_cents,
       unnest(coalesce(woo_taxes,
                       list_transform(rounded, (t, i) -> t + wf_apportion(tax_cents - list_sum(rounded),
                                                                          list_transform(nets, n -> abs(n)))[i])))
           AS tax_cents
FROM taxes;
