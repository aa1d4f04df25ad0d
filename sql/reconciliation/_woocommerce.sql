-- The WooCommerce side of the books (TEMP tables on the connection), from WooCommerce's own figures only:
-- staging.orders, order_lines, order_tax_lines, tax_rates, refunds, refund_lines. Needs reconciliation/_macros.sql,
-- the mapping tables (register_mapping: configuration, not pricing), ledger.documents and ledger.dead_letter.
-- Independent of the deltas on purpose (issue #13 item 8): nothing here reads a wf_* object or a deltas table
-- other than deltas.invoice_exclusions, and that one only to classify an order as excluded with its reason.
-- (tests/reconciliation/test_independence.py keeps it so.)
--
-- An order is "in the books" when it is a staged order of the shop created on/after map_settings.start_date, not
-- listed in deltas.invoice_exclusions, and in a trigger status, or cancelled/refunded and paid (date_paid set: a
-- paid order is invoiced and credited), or has a live invoice in the ledger (it was invoiced once).
-- A "document" is what WooCommerce says belongs in the books, in the currency of the order:
--   'order <id>'    the sale of an order in the books, dated by invoicing.invoice_date (re-derived here from the
--                   staged dates: created | paid | completed, else created)
--   'refund <id>'   a refund of such an order, dated max(refund date, invoice date), negative
--   'reversal <id>' a cancelled/refunded order in the books: what its refunds left of the sale, negative, dated
--                   max(date_modified, invoice date)
-- Per rate: net = the lines' `total`, VAT = their `total_tax` (WooCommerce's own figures); a line's rate is the
-- rate of its tax ids (order_tax_lines.rate_percent, else staging.tax_rates.rate), 0 when it carries no tax, else
-- the whole percentage its tax is of its total. Refund lines take the rate of the order line they refund
-- (refunded_item_id). A refund of an amount only carries no VAT in WooCommerce: it is split here over the order's
-- rates by gross as docs/accounting.md §4 states the rule (floor of the proportional share, the remainder on the
-- largest rate), with the VAT included in each share — the reconciliation's own statement of the rule.

CREATE OR REPLACE TEMP TABLE rc_settings AS
SELECT m.shop, m.start_date, m.invoice_date_rule, m.registered_prefix, m.guest_email_prefix, m.guest_order_prefix,
       m.derived_prefix,
       -- read defensively: a mapping without the column (older register_mapping) means "no manual refund mode"
       json_extract_string(to_json(m), '$.manual_refund_mode') AS manual_refund_mode
FROM map_settings m;

-- Open dead letters: a document Fortnox rejected is already reported ("set aside", `woofort sync` exit 3); the
-- reconciliation shows it apart (set_aside) instead of counting it as an unexplained difference. An order is
-- set aside when its invoice, its customer or one of its articles has an open dead letter; a refund when its
-- credit invoice has.
CREATE OR REPLACE TEMP TABLE rc_dead AS
SELECT dl.entity, dl.source_key, any_value(coalesce(CAST(dl.error_code AS VARCHAR) || ' ', '') || dl.error_message) AS message
FROM ledger.dead_letter dl, map_settings m
WHERE dl.shop = m.shop AND dl.status = 'open'
GROUP BY ALL;

-- Orders with a live invoice in the ledger (sent to Fortnox, not cancelled).
CREATE OR REPLACE TEMP TABLE rc_live_ledger AS
SELECT DISTINCT TRY_CAST(d.source_key AS BIGINT) AS order_id
FROM ledger.documents d, map_settings s
WHERE d.shop = s.shop AND d.entity = 'invoice' AND d.fortnox_number IS NOT NULL
  AND d.status NOT IN ('cancelled', 'failed') AND TRY_CAST(d.source_key AS BIGINT) IS NOT NULL
  AND ($full OR TRY_CAST(d.source_key AS BIGINT) IN (SELECT order_id FROM rc_scope));

-- Every staged order of the shop in the build's scope (rc_scope, _scope.sql), classified.
CREATE OR REPLACE TEMP TABLE rc_orders AS
WITH o AS (
    SELECT o.shop, o.order_id, o.status, upper(o.currency) AS currency, o.total, rc_cents(o.total) AS total_cents,
           o.date_created, o.date_paid, o.date_modified, o.payment_method, o.customer_id, o.billing_email,
           CAST(CASE s.invoice_date_rule WHEN 'paid' THEN coalesce(o.date_paid, o.date_created)
                                         WHEN 'completed' THEN coalesce(o.date_completed, o.date_created)
                                         ELSE o.date_created END AS DATE) AS invoice_date,
           CASE WHEN upper(o.currency) <> 'SEK' AND o.currency_rate > 0 THEN CAST(o.currency_rate AS DECIMAL(18, 6)) END
               AS fx_rate,
           CAST(o.date_created AS DATE) < s.start_date AS before_start,
           o.status IN (SELECT status FROM map_trigger_statuses) AS trigger_status,
           l.order_id IS NOT NULL AS live_invoice,
           e.order_id IS NOT NULL AS excluded, e.reason AS excl_reason, e.detail AS excl_detail,
           -- the Fortnox CustomerNumber of the buyer, only to find a customer's dead letter
           CASE WHEN o.customer_id > 0 THEN s.registered_prefix || o.customer_id::VARCHAR
                WHEN nullif(lower(trim(o.billing_email)), '') IS NOT NULL
                    THEN s.guest_email_prefix || upper(left(md5(lower(trim(o.billing_email))), 12))
                ELSE s.guest_order_prefix || o.order_id::VARCHAR END AS customer_key
    FROM staging.orders o
    JOIN rc_settings s ON o.shop = s.shop
    LEFT JOIN rc_live_ledger l ON l.order_id = o.order_id
    LEFT JOIN (SELECT x.order_id, any_value(x.reason) AS reason, any_value(x.detail) AS detail
               FROM deltas.invoice_exclusions x, map_settings m
               WHERE x.shop = m.shop AND ($full OR x.order_id IN (SELECT order_id FROM rc_scope)) GROUP BY ALL) e
           ON e.order_id = o.order_id
    WHERE $full OR o.order_id IN (SELECT order_id FROM rc_scope)
)
SELECT o.*,
       NOT o.before_start AND NOT o.excluded
       AND (o.trigger_status OR o.live_invoice
            OR (o.status IN ('cancelled', 'refunded') AND o.date_paid IS NOT NULL)) AS in_books,
       CASE WHEN o.before_start THEN 'before_start_date'
            WHEN o.excluded THEN coalesce(o.excl_reason, 'unknown')
            WHEN o.trigger_status OR o.live_invoice
                 OR (o.status IN ('cancelled', 'refunded') AND o.date_paid IS NOT NULL) THEN NULL
            WHEN o.status IN ('cancelled', 'refunded') THEN 'cancelled_unpaid'
            ELSE 'status_not_trigger' END AS reason
FROM o;

-- The VAT rate of every line of an order in the books.
CREATE OR REPLACE TEMP TABLE rc_lines AS
WITH l AS (
    SELECT l.* EXCLUDE (meta_data)
    FROM staging.order_lines l JOIN rc_orders o ON o.shop = l.shop AND o.order_id = l.order_id
    WHERE o.in_books
),
ids AS (SELECT order_id, line_id, unnest(tax_rate_ids) AS rate_id,
              CASE WHEN len(tax_rate_ids) > 1 THEN tax_totals END AS tax_totals FROM l),
line_rates AS (
    SELECT ids.order_id, ids.line_id, coalesce(tl.rate_percent, tr.rate) AS rate,
           list_filter(ids.tax_totals, t -> t.rate_id = ids.rate_id)[1].total AS woo_tax
    FROM ids
    LEFT JOIN (SELECT x.order_id, x.rate_id, max(x.rate_percent) AS rate_percent
               FROM staging.order_tax_lines x, map_settings s
               WHERE x.shop = s.shop AND ($full OR x.order_id IN (SELECT order_id FROM rc_scope)) GROUP BY ALL) tl
           ON tl.order_id = ids.order_id AND tl.rate_id = ids.rate_id
    LEFT JOIN (SELECT t.tax_rate_id, t.rate FROM staging.tax_rates t, map_settings s WHERE t.shop = s.shop) tr
           ON tr.tax_rate_id = ids.rate_id
),
rates AS (
    SELECT order_id, line_id, count(DISTINCT rate) AS n_rates, count(*) FILTER (WHERE rate IS NULL) AS n_unknown,
           min(rate) AS rate
    FROM line_rates GROUP BY ALL
),
-- Shipping and fees taxed at several rates: WooCommerce gives their tax per rate (taxes[].total) but not their
-- net, so the books take the law's split of the net (ancillary costs follow the goods' net value per rate,
-- docs/accounting.md §3), worked out here on its own: rounded down per rate, the öre left to the largest
-- remainders. Each part's VAT is WooCommerce's at that rate; for a line staged without it (before migration 028),
-- its net at its rate, the öre left of the line's tax on the largest part. Goods at none of the line's rates: one
-- blended row.
goods AS (
    SELECT l.order_id, r.rate, sum(rc_cents(l.total)) AS w
    FROM l JOIN rates r ON r.order_id = l.order_id AND r.line_id = l.line_id
    WHERE l.line_type = 'line_item' AND r.n_rates = 1 AND r.n_unknown = 0
    GROUP BY ALL
),
parts AS (
    SELECT l.order_id, l.line_id, lr.rate, CAST(rc_cents(l.total) AS HUGEINT) AS net, rc_cents(l.total_tax) AS tax,
           CAST(greatest(coalesce(g.w, 0), 0) AS HUGEINT) AS w, lr.woo_vat
    FROM l
    JOIN rates r ON r.order_id = l.order_id AND r.line_id = l.line_id AND r.n_rates > 1 AND r.n_unknown = 0
    JOIN (SELECT order_id, line_id, rate, CASE WHEN bool_and(woo_tax IS NOT NULL) THEN rc_cents(sum(woo_tax)) END
                 AS woo_vat
          FROM line_rates GROUP BY ALL) lr ON lr.order_id = l.order_id AND lr.line_id = l.line_id
    LEFT JOIN goods g ON g.order_id = l.order_id AND g.rate = lr.rate
    WHERE l.line_type IN ('shipping', 'fee')
),
shares AS (
    SELECT *, sum(w) OVER line AS ws, -rc_div_ceil(-(net * w), sum(w) OVER line) AS floor_net
    FROM parts WINDOW line AS (PARTITION BY order_id, line_id)
    QUALIFY sum(w) OVER line > 0
),
nets AS (
    SELECT *, floor_net + CASE WHEN row_number() OVER (PARTITION BY order_id, line_id
                                                       ORDER BY net * w - floor_net * ws DESC, rate DESC)
                                    <= net - sum(floor_net) OVER (PARTITION BY order_id, line_id)
                               THEN 1 ELSE 0 END AS part_net
    FROM shares
),
split AS (
    SELECT order_id, line_id, rate, part_net, count(*) OVER line AS n_parts,
           row_number() OVER (PARTITION BY order_id, line_id ORDER BY abs(part_net) DESC, rate DESC) AS size_rank,
           CASE WHEN bool_and(woo_vat IS NOT NULL) OVER line THEN woo_vat
                ELSE rc_vat(part_net, rc_rate_units(rate), false)
                     + CASE WHEN row_number() OVER (PARTITION BY order_id, line_id ORDER BY abs(part_net) DESC, rate DESC) = 1
                            THEN tax - sum(rc_vat(part_net, rc_rate_units(rate), false)) OVER line ELSE 0 END
           END AS part_vat
    FROM nets WINDOW line AS (PARTITION BY order_id, line_id)
)
SELECT l.shop, l.order_id, l.line_id, l.line_type, l.product_id, l.variation_id, l.sku,
       CAST(CASE WHEN sp.rate IS NOT NULL THEN sp.rate
                 WHEN l.total_tax = 0 THEN 0
                 WHEN r.n_rates = 1 AND r.n_unknown = 0 THEN r.rate
                 WHEN l.total <> 0 THEN round(l.total_tax * 100 / l.total, 0)
            END AS DECIMAL(9, 4)) AS vat_rate,
       coalesce(sp.part_net, rc_cents(l.total)) AS net_cents, coalesce(sp.part_vat, rc_cents(l.total_tax)) AS vat_cents,
       -- the line's share in this row (1 unless split), for refunds of it
       coalesce(sp.n_parts, 1) AS n_parts, coalesce(sp.size_rank, 1) AS size_rank,
       rc_cents(l.total) AS line_net_cents, rc_cents(l.total_tax) AS line_vat_cents
FROM l LEFT JOIN rates r ON r.order_id = l.order_id AND r.line_id = l.line_id
LEFT JOIN split sp ON sp.order_id = l.order_id AND sp.line_id = l.line_id;

-- The orders in the books, with their set-aside reason (open dead letter of the invoice, customer or an article;
-- an article is found by the line's SKU or by the derived number <derived_prefix><product>[-<variation>]).
CREATE OR REPLACE TEMP TABLE rc_sales AS
SELECT o.shop, o.order_id, o.invoice_date AS day, o.currency, o.fx_rate, o.status, o.total_cents AS gross_cents,
       o.date_paid, o.payment_method, o.date_modified,
       -- (invoice_order: the Fortnox order a non-whole-rate invoice is made from, refused)
       coalesce((SELECT 'invoice: ' || min(x.message) FROM rc_dead x
                 WHERE x.entity IN ('invoice', 'invoice_order') AND x.source_key = CAST(o.order_id AS VARCHAR)),
                (SELECT 'customer ' || x.source_key || ': ' || x.message FROM rc_dead x
                 WHERE x.entity = 'customer' AND x.source_key = o.customer_key),
                (SELECT 'article ' || min(x.source_key) || ': ' || min(x.message) FROM rc_dead x
                 WHERE x.entity = 'article'
                   AND (upper(x.source_key) IN (SELECT upper(trim(l.sku)) FROM rc_lines l
                                                WHERE l.order_id = o.order_id AND l.line_type = 'line_item')
                        OR x.source_key IN (SELECT s.derived_prefix || l.product_id::VARCHAR
                                                   || coalesce('-' || nullif(l.variation_id, 0)::VARCHAR, '')
                                            FROM rc_lines l, rc_settings s
                                            WHERE l.order_id = o.order_id AND l.line_type = 'line_item'))))
           AS set_aside
FROM rc_orders o
WHERE o.in_books;

-- Refunds of the orders in the books that move money.
CREATE OR REPLACE TEMP TABLE rc_refunds AS
SELECT r.shop, r.refund_id, r.order_id, r.date_created, rc_cents(r.amount) AS cents,
       coalesce(r.refunded_payment, false) AS refunded_payment
FROM staging.refunds r JOIN rc_sales s ON s.shop = r.shop AND s.order_id = r.order_id
WHERE r.amount <> 0;

-- Per refund and rate: its lines (at the rate of the line they refund), or its amount split by gross (§4).
CREATE OR REPLACE TEMP TABLE rc_refund_rates AS
WITH refunded AS (
    SELECT rf.refund_id, rf.order_id, rl.line_id,
           coalesce(ol.vat_rate, CAST(CASE WHEN rl.total_tax = 0 THEN 0
                                           WHEN rl.total <> 0 THEN round(rl.total_tax * 100 / rl.total, 0) END
                                      AS DECIMAL(9, 4))) AS vat_rate,
           rc_cents(rl.total) AS net, rc_cents(rl.total_tax) AS vat, coalesce(ol.size_rank, 1) AS size_rank,
           -- a refund of a split line, in the invoice's proportions; the largest part takes what the others leave
           CASE WHEN coalesce(ol.n_parts, 1) > 1 AND ol.line_net_cents <> 0
                THEN rc_div_half_up(CAST(rc_cents(rl.total) AS HUGEINT) * ol.net_cents, ol.line_net_cents)
                ELSE rc_cents(rl.total) END AS net_share,
           CASE WHEN coalesce(ol.n_parts, 1) > 1 AND ol.line_vat_cents <> 0
                THEN rc_div_half_up(CAST(rc_cents(rl.total_tax) AS HUGEINT) * ol.vat_cents, ol.line_vat_cents)
                ELSE rc_cents(rl.total_tax) END AS vat_share
    FROM rc_refunds rf
    JOIN staging.refund_lines rl ON rl.shop = rf.shop AND rl.refund_id = rf.refund_id
    LEFT JOIN rc_lines ol ON ol.order_id = rf.order_id AND ol.line_id = rl.refunded_item_id
    WHERE rl.total <> 0 OR rl.total_tax <> 0
),
refund_lines AS (
    SELECT refund_id, order_id, vat_rate, count(*) AS n_lines, sum(net_cents) AS net_cents, sum(vat_cents) AS vat_cents
    FROM (SELECT *, CASE WHEN size_rank = 1 THEN net - sum(net_share) OVER w + net_share ELSE net_share END AS net_cents,
                    CASE WHEN size_rank = 1 THEN vat - sum(vat_share) OVER w + vat_share ELSE vat_share END AS vat_cents
          FROM refunded WINDOW w AS (PARTITION BY refund_id, line_id))
    GROUP BY ALL
),
amount_only AS (
    SELECT rf.refund_id, rf.order_id, rf.cents
    FROM rc_refunds rf
    WHERE rf.refund_id NOT IN (SELECT refund_id FROM refund_lines)
),
order_rates AS (
    SELECT order_id, vat_rate, sum(net_cents + vat_cents) AS gross_cents
    FROM rc_lines WHERE vat_rate IS NOT NULL GROUP BY ALL
),
alloc AS (
    SELECT a.refund_id, a.order_id, r.vat_rate, a.cents, r.gross_cents,
           sum(r.gross_cents) OVER (PARTITION BY a.refund_id) AS order_gross,
           row_number() OVER (PARTITION BY a.refund_id ORDER BY r.gross_cents DESC, r.vat_rate DESC) AS rn
    FROM amount_only a JOIN order_rates r ON r.order_id = a.order_id
    WHERE r.gross_cents > 0
),
shares AS (
    SELECT *, CASE WHEN order_gross = 0 THEN 0 ELSE CAST(cents AS HUGEINT) * gross_cents // order_gross END AS share
    FROM alloc
),
gross_shares AS (
    SELECT *, share + CASE WHEN rn = 1 THEN cents - sum(share) OVER (PARTITION BY refund_id) ELSE 0 END AS g
    FROM shares
)
SELECT refund_id, order_id, vat_rate, n_lines, net_cents, vat_cents FROM refund_lines
UNION ALL
SELECT refund_id, order_id, vat_rate, 1, -(g - rc_vat(g, rc_rate_units(vat_rate), true)),
       -rc_vat(g, rc_rate_units(vat_rate), true)
FROM gross_shares WHERE g <> 0;

-- The books documents.
CREATE OR REPLACE TEMP TABLE rc_woo_docs AS
SELECT s.shop, 'order ' || s.order_id AS doc_key, s.order_id, CAST(NULL AS BIGINT) AS refund_id, 'invoice' AS kind,
       s.day, s.currency, s.fx_rate, s.gross_cents, s.set_aside
FROM rc_sales s
UNION ALL
SELECT s.shop, 'refund ' || r.refund_id, s.order_id, r.refund_id, 'credit',
       greatest(coalesce(CAST(r.date_created AS DATE), s.day), s.day), s.currency, s.fx_rate, -r.cents,
       coalesce(s.set_aside, (SELECT 'credit: ' || x.message FROM rc_dead x
                              WHERE x.entity = 'credit_invoice' AND x.source_key = CAST(r.refund_id AS VARCHAR)))
FROM rc_sales s JOIN rc_refunds r ON r.order_id = s.order_id
UNION ALL
SELECT s.shop, 'reversal ' || s.order_id, s.order_id, NULL, 'credit',
       greatest(CAST(s.date_modified AS DATE), s.day), s.currency, s.fx_rate,
       -(s.gross_cents - coalesce((SELECT sum(r.cents) FROM rc_refunds r WHERE r.order_id = s.order_id), 0)),
       coalesce(s.set_aside, (SELECT 'credit: ' || x.message FROM rc_dead x
                              WHERE x.entity = 'credit_invoice' AND x.source_key = 'order-' || s.order_id))
FROM rc_sales s
WHERE s.status IN ('cancelled', 'refunded');

-- Per document and rate (net, VAT in cents). A reversal is minus what the sale and its refunds left per rate.
CREATE OR REPLACE TEMP TABLE rc_woo_rates AS
WITH sale AS (
    SELECT l.order_id, l.vat_rate, count(*) AS n_lines, sum(l.net_cents) AS net_cents, sum(l.vat_cents) AS vat_cents
    FROM rc_lines l GROUP BY ALL
),
kept AS (
    SELECT order_id, vat_rate, sum(n_lines) AS n_lines, sum(net_cents) AS net_cents, sum(vat_cents) AS vat_cents
    FROM (SELECT order_id, vat_rate, n_lines, net_cents, vat_cents FROM sale
          UNION ALL
          SELECT order_id, vat_rate, n_lines, net_cents, vat_cents FROM rc_refund_rates)
    GROUP BY ALL
)
SELECT 'order ' || order_id AS doc_key, vat_rate, n_lines, net_cents, vat_cents FROM sale
UNION ALL
SELECT 'refund ' || refund_id, vat_rate, n_lines, net_cents, vat_cents FROM rc_refund_rates
UNION ALL
SELECT 'reversal ' || k.order_id, k.vat_rate, k.n_lines, -k.net_cents, -k.vat_cents
FROM kept k JOIN rc_woo_docs d ON d.doc_key = 'reversal ' || k.order_id
WHERE k.net_cents <> 0 OR k.vat_cents <> 0;

-- Per order in the books: what WooCommerce kept and what is still owed, in the order currency (cents).
--   kept        = 0 when cancelled or refunded, else total − Σ refunds
--   paid        = total when date_paid is set
--   paid_back   = refunds paid back: through the gateway (refunded_payment), or manual ones when the mapping
--                 pays manual refunds (map_settings.manual_refund_mode set)
--   outstanding = kept − paid + paid_back (negative: the customer's credit)
CREATE OR REPLACE TEMP TABLE rc_woo_orders AS
SELECT s.shop, s.order_id, s.currency, s.set_aside,
       CASE WHEN s.status IN ('cancelled', 'refunded') THEN 0
            ELSE s.gross_cents - coalesce((SELECT sum(r.cents) FROM rc_refunds r WHERE r.order_id = s.order_id), 0)
       END AS kept_cents,
       CASE WHEN s.date_paid IS NOT NULL THEN s.gross_cents ELSE 0 END AS paid_cents,
       coalesce((SELECT sum(r.cents) FROM rc_refunds r, rc_settings m
                 WHERE r.order_id = s.order_id AND (r.refunded_payment OR m.manual_refund_mode IS NOT NULL)), 0)
           AS paid_back_cents
FROM rc_sales s;

-- VAT kept per order and rate: the lines' tax minus the refunds' (0 for cancelled/refunded orders).
CREATE OR REPLACE TEMP TABLE rc_woo_order_vat AS
SELECT r.order_id, r.vat_rate, sum(r.vat_cents) AS vat_cents
FROM (SELECT d.order_id, w.vat_rate, w.vat_cents FROM rc_woo_docs d JOIN rc_woo_rates w ON w.doc_key = d.doc_key) r
GROUP BY ALL;
