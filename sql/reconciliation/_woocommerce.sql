-- The WooCommerce side of the books, per document and VAT rate (TEMP tables on the connection).
-- Needs deltas/_macros.sql, _articles.sql, _orders.sql (wf_invoices, wf_lines) and ledger.documents.
-- A "document" is what WooCommerce says belongs in the books, in the currency of the order:
--   'order <id>'    the sale of an order that is invoiceable (no exclusion reason), or that was invoiced once and
--                   changed status since (its ledger invoice is live): dated as its invoice (mapping invoice_date)
--   'refund <id>'   a refund of such an order, dated max(refund date, invoice date), negative
--   'reversal <id>' an invoiced order cancelled/refunded without refund records: the whole sale reversed
-- Per rate: net = the lines' `total`, VAT = their `total_tax` (WooCommerce's own figures); refund lines take the
-- rate of the order line they refund (_refunded_item_id). Refunds of an amount only carry no VAT in WooCommerce:
-- they are split over the order's rates by gross, exactly as docs/accounting.md §4 credits them, and their VAT
-- is the VAT included in each share.

-- Open dead letters: a document Fortnox rejected is already reported ("set aside", `woofort sync` exit 3); the
-- reconciliation shows it apart (set_aside) instead of counting it as an unexplained difference. An order is
-- set aside when its invoice, its customer or one of its articles has an open dead letter; a refund when its
-- credit invoice has.
CREATE OR REPLACE TEMP TABLE rc_dead AS
SELECT dl.entity, dl.source_key, any_value(coalesce(CAST(dl.error_code AS VARCHAR) || ' ', '') || dl.error_message) AS message
FROM ledger.dead_letter dl, map_settings m
WHERE dl.shop = m.shop AND dl.status = 'open'
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE rc_sales AS
SELECT i.shop, i.order_id, i.invoice_date AS day, upper(i.currency) AS currency, i.fx_rate, i.status,
       wf_cents(i.total) AS gross_cents, i.date_paid, i.payment_method, o.date_modified,
       coalesce((SELECT 'invoice: ' || x.message FROM rc_dead x
                 WHERE x.entity = 'invoice' AND x.source_key = CAST(i.order_id AS VARCHAR)),
                (SELECT 'customer ' || x.source_key || ': ' || x.message FROM rc_dead x
                 WHERE x.entity = 'customer' AND x.source_key = i.customer_number),
                (SELECT 'article ' || min(x.source_key) || ': ' || min(x.message) FROM rc_dead x
                 WHERE x.entity = 'article' AND x.source_key IN (SELECT l.article_number FROM wf_lines l
                                                                 WHERE l.order_id = i.order_id)))
           AS set_aside
FROM wf_invoices i
JOIN staging.orders o ON o.shop = i.shop AND o.order_id = i.order_id
LEFT JOIN ledger.documents d
       ON d.shop = i.shop AND d.entity = 'invoice' AND d.source_key = CAST(i.order_id AS VARCHAR)
WHERE i.reason IS NULL
   OR (i.reason = 'status_not_trigger' AND d.fortnox_number IS NOT NULL AND d.status NOT IN ('cancelled', 'failed'));

CREATE OR REPLACE TEMP TABLE rc_woo_docs AS
SELECT s.shop, 'order ' || s.order_id AS doc_key, s.order_id, CAST(NULL AS BIGINT) AS refund_id, 'invoice' AS kind,
       s.day, s.currency, s.fx_rate, s.gross_cents, s.set_aside
FROM rc_sales s
UNION ALL
SELECT s.shop, 'refund ' || r.refund_id, s.order_id, r.refund_id, 'credit',
       greatest(coalesce(CAST(r.date_created AS DATE), s.day), s.day), s.currency, s.fx_rate, -wf_cents(r.amount),
       coalesce(s.set_aside, (SELECT 'credit: ' || x.message FROM rc_dead x
                              WHERE x.entity = 'credit_invoice' AND x.source_key = CAST(r.refund_id AS VARCHAR)))
FROM rc_sales s JOIN staging.refunds r ON r.shop = s.shop AND r.order_id = s.order_id
WHERE r.amount <> 0
UNION ALL
SELECT s.shop, 'reversal ' || s.order_id, s.order_id, NULL, 'credit',
       greatest(CAST(s.date_modified AS DATE), s.day), s.currency, s.fx_rate, -s.gross_cents,
       coalesce(s.set_aside, (SELECT 'credit: ' || x.message FROM rc_dead x
                              WHERE x.entity = 'credit_invoice' AND x.source_key = 'order-' || s.order_id))
FROM rc_sales s
WHERE s.status IN ('cancelled', 'refunded')
  AND NOT EXISTS (SELECT 1 FROM staging.refunds r WHERE r.shop = s.shop AND r.order_id = s.order_id);

CREATE OR REPLACE TEMP TABLE rc_woo_rates AS
WITH sale_lines AS (
    SELECT l.order_id, l.vat_rate, count(*) AS n_lines,
           sum(CASE WHEN l.gross THEN l.amount_cents - l.tax_cents ELSE l.amount_cents END) AS net_cents,
           sum(l.tax_cents) AS vat_cents
    FROM wf_lines l JOIN rc_sales s ON s.order_id = l.order_id
    GROUP BY ALL
),
refund_lines AS (
    SELECT 'refund ' || rl.refund_id AS doc_key, coalesce(ol.vat_rate, CASE WHEN rl.total_tax = 0 THEN 0 END) AS vat_rate,
           count(*) AS n_lines, sum(wf_cents(rl.total)) AS net_cents, sum(wf_cents(rl.total_tax)) AS vat_cents
    FROM rc_woo_docs d
    JOIN staging.refund_lines rl ON rl.shop = d.shop AND rl.refund_id = d.refund_id
    LEFT JOIN wf_lines ol ON ol.order_id = d.order_id AND ol.line_id = rl.refunded_item_id
    WHERE d.kind = 'credit' AND d.refund_id IS NOT NULL AND (rl.total <> 0 OR rl.total_tax <> 0)
    GROUP BY ALL
),
amount_only AS (
    SELECT d.doc_key, d.refund_id, d.order_id, -d.gross_cents AS cents
    FROM rc_woo_docs d
    WHERE d.refund_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM staging.refund_lines rl WHERE rl.shop = d.shop AND rl.refund_id = d.refund_id
                      AND (rl.total <> 0 OR rl.total_tax <> 0))
),
order_rates AS (
    SELECT order_id, vat_rate,
           sum(wf_cents(CASE WHEN gross THEN wf_amount(amount_cents) ELSE wf_amount(amount_cents + tax_cents) END)) AS gross_cents
    FROM wf_lines WHERE vat_rate IS NOT NULL GROUP BY ALL
),
alloc AS (
    SELECT a.doc_key, a.refund_id, r.vat_rate, a.cents, r.gross_cents,
           sum(r.gross_cents) OVER (PARTITION BY a.refund_id) AS order_gross,
           row_number() OVER (PARTITION BY a.refund_id ORDER BY r.gross_cents DESC, r.vat_rate DESC) AS rn
    FROM amount_only a JOIN order_rates r ON r.order_id = a.order_id
    WHERE r.gross_cents > 0
),
alloc2 AS (
    SELECT *, CASE WHEN order_gross = 0 THEN 0 ELSE wf_div_floor(cents * gross_cents, order_gross) END AS share
    FROM alloc
),
alloc3 AS (
    SELECT *, share + CASE WHEN rn = 1 THEN cents - sum(share) OVER (PARTITION BY refund_id) ELSE 0 END AS g_cents
    FROM alloc2
)
SELECT 'order ' || order_id AS doc_key, vat_rate, n_lines, net_cents, vat_cents FROM sale_lines
UNION ALL
SELECT 'reversal ' || l.order_id, l.vat_rate, l.n_lines, -l.net_cents, -l.vat_cents
FROM sale_lines l JOIN rc_woo_docs d ON d.doc_key = 'reversal ' || l.order_id
UNION ALL
SELECT doc_key, vat_rate, n_lines, net_cents, vat_cents FROM refund_lines
UNION ALL
SELECT doc_key, vat_rate, 1, -g_cents - wf_vat(-g_cents, wf_rate_units(vat_rate), true),
       wf_vat(-g_cents, wf_rate_units(vat_rate), true)
FROM alloc3 WHERE g_cents <> 0;
