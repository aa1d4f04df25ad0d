-- reconciliation.*: WooCommerce (rc_woo_*) against Fortnox (rc_fx_*) for the orders of the build's scope, as
-- rc_new_<table> (TEMP) that woofort_assets/defs/reconciliation/scope.py puts in place of the scope's rows. Needs
-- _macros.sql, _scope.sql, _woocommerce.sql, _fortnox.sql, deltas.invoice_exclusions and deltas.payment_exclusions
-- (read only to classify an order or a payment as excluded, with its reason: never amounts or dates of the deltas).
-- The per-day tables are aggregated from the per-document rows this file writes (rc_new_day_buckets,
-- rc_new_day_documents, kept as reconciliation.day_buckets / day_documents) by _days.sql.
-- Per-day tables compare each side on its own dates; Fortnox's corrections (re-issues) count on the day of the
-- order's first invoice (rc_fx_book_day). The per-order table (order_balances) is the authority on money. Money in DECIMAL(18,2):
-- `*_cur` columns in the document currency, `*_sek` in SEK (document amount x the document's CurrencyRate, per
-- document and rate, rounded half-up to öre, the same rate on both sides: the order's, else Fortnox's).
-- Fortnox documents that are cancelled (makulerade) are not in the books and count nowhere.

-- The SEK rate of each WooCommerce document: the order's own rate, else the rate on its Fortnox invoice.
-- Documents set aside (open dead letter, see _woocommerce.sql) are shown apart and left out of the comparison.
CREATE OR REPLACE TEMP TABLE rc_woo_docs_all AS
SELECT d.*, CASE WHEN d.currency = 'SEK' THEN CAST(1 AS DECIMAL(18, 6))
                 ELSE coalesce(d.fx_rate, (SELECT max(x.rate) FROM rc_fx_docs x WHERE x.order_id = d.order_id
                                           AND NOT x.credit AND NOT x.cancelled), CAST(1 AS DECIMAL(18, 6))) END AS rate
FROM rc_woo_docs d;

CREATE OR REPLACE TEMP TABLE rc_woo_docs_sek AS SELECT * FROM rc_woo_docs_all WHERE set_aside IS NULL;

-- Both sides as rows (side, doc, day, currency, rate bucket, net, vat, gross) in cents; vat_rate NULL = öresavrundning.
CREATE OR REPLACE TEMP TABLE rc_new_day_buckets AS
SELECT (SELECT shop FROM map_settings) AS shop, 'woocommerce' AS side, d.doc_key AS doc, d.kind, d.order_id, d.day, d.currency, d.rate, r.vat_rate,
       r.n_lines AS n_rows, r.net_cents, r.vat_cents, CAST(0 AS HUGEINT) AS vat_rounding_cents
FROM rc_woo_docs_sek d JOIN rc_woo_rates r ON r.doc_key = d.doc_key
UNION ALL
-- WooCommerce's own rounding: the document total minus its lines (stores whose totals differ from the REST lines)
SELECT (SELECT shop FROM map_settings), 'woocommerce', d.doc_key, d.kind, d.order_id, d.day, d.currency, d.rate, NULL, 0,
       d.gross_cents - coalesce((SELECT sum(r.net_cents + r.vat_cents) FROM rc_woo_rates r WHERE r.doc_key = d.doc_key), 0),
       0, 0
FROM rc_woo_docs_sek d
UNION ALL
SELECT (SELECT shop FROM map_settings), 'fortnox', x.number, CASE WHEN x.credit THEN 'credit' ELSE 'invoice' END, x.order_id, b.book_day, x.currency,
       x.rate, t.vat_rate, t.n_rows, t.net_cents, t.vat_cents, t.vat_rounding_cents
FROM rc_fx_docs x JOIN rc_fx_rates t ON t.number = x.number JOIN rc_fx_book_day b ON b.number = x.number
WHERE NOT x.cancelled
UNION ALL
SELECT (SELECT shop FROM map_settings), 'fortnox', x.number, CASE WHEN x.credit THEN 'credit' ELSE 'invoice' END, x.order_id, b.book_day, x.currency,
       x.rate, NULL, 0, x.total_cents - dt.rates_gross_cents, 0, 0
FROM rc_fx_docs x JOIN rc_fx_doc_totals dt ON dt.number = x.number JOIN rc_fx_book_day b ON b.number = x.number
WHERE NOT x.cancelled;

-- Per document, for the per-day tables (_days.sql): WooCommerce's documents (set aside or not), Fortnox's live
-- documents on their book day, and the orders deltas.invoice_exclusions lists, on their order date.
CREATE OR REPLACE TEMP TABLE rc_new_day_documents AS
SELECT (SELECT shop FROM map_settings) AS shop, 'woocommerce' AS side, d.doc_key AS doc, d.kind, d.order_id, d.day,
       d.currency, d.rate, CAST(d.gross_cents AS HUGEINT) AS gross_cents, d.set_aside IS NOT NULL AS is_set_aside,
       CAST(0 AS HUGEINT) AS roundoff_cents
FROM rc_woo_docs_all d
UNION ALL
SELECT (SELECT shop FROM map_settings), 'fortnox', x.number, CASE WHEN x.credit THEN 'credit' ELSE 'invoice' END,
       x.order_id, b.book_day, x.currency, x.rate, x.total_cents, false, x.roundoff_cents
FROM rc_fx_docs x JOIN rc_fx_book_day b ON b.number = x.number
WHERE NOT x.cancelled
UNION ALL
SELECT e.shop, 'excluded', NULL, NULL, e.order_id, e.order_date, NULL, NULL, 0, false, 0
FROM deltas.invoice_exclusions e, map_settings m
WHERE e.shop = m.shop AND ($full OR e.order_id IN (SELECT order_id FROM rc_scope));

-- Every staged order: invoiced once, excluded with its reason, or a problem.
--   live invoice = a customer invoice (not a credit), not cancelled, not cancelled out by credit invoices
--   (Total + the credits that reference it <> 0, or Total 0).
CREATE OR REPLACE TEMP TABLE rc_new_orders AS
WITH inv AS (
    SELECT x.order_id, x.number, x.total_cents,
           coalesce((SELECT sum(c.total_cents) FROM rc_fx_docs c
                     WHERE c.credit AND NOT c.cancelled AND c.credit_ref = x.number), 0) AS credited_cents
    FROM rc_fx_docs x WHERE NOT x.credit AND NOT x.cancelled AND x.order_id IS NOT NULL
),
per_order AS (
    SELECT order_id, count(*) AS n_invoices,
           count(*) FILTER (WHERE total_cents = 0 OR total_cents + credited_cents <> 0) AS n_live,
           string_agg(number, ', ' ORDER BY length(number), number) AS numbers
    FROM inv GROUP BY order_id
),
led AS (
    SELECT CAST(d.source_key AS BIGINT) AS order_id, d.status, dl.error_code, dl.error_message
    FROM ledger.documents d
    JOIN map_settings s ON d.shop = s.shop
    LEFT JOIN ledger.dead_letter dl ON dl.shop = d.shop AND dl.entity = d.entity AND dl.source_key = d.source_key
                                   AND dl.status = 'open'
    WHERE d.entity = 'invoice' AND TRY_CAST(d.source_key AS BIGINT) IS NOT NULL
)
SELECT i.shop, i.order_id, CAST(i.date_created AS DATE) AS order_date, i.invoice_date, i.status AS order_status,
       CAST(i.total AS DECIMAL(18, 2)) AS total, i.currency,
       coalesce(p.n_invoices, 0) AS fortnox_invoices, coalesce(p.n_live, 0) AS live_invoices, p.numbers AS fortnox_numbers,
       CASE WHEN coalesce(p.n_live, 0) >= 2 THEN 'duplicate'
            WHEN s.order_id IS NOT NULL AND coalesce(p.n_invoices, 0) >= 1 THEN 'invoiced'
            WHEN s.order_id IS NOT NULL AND s.set_aside IS NOT NULL THEN 'set_aside'
            WHEN s.order_id IS NOT NULL THEN 'missing'
            WHEN coalesce(p.n_live, 0) >= 1 THEN 'invoiced_although_excluded'
            WHEN e.order_id IS NOT NULL THEN 'excluded'
            ELSE 'not_invoiced' END AS outcome,
       coalesce(e.reason, CASE WHEN s.order_id IS NULL THEN i.reason END) AS reason,
       CASE WHEN coalesce(p.n_live, 0) >= 2 THEN 'live invoices ' || p.numbers || ' all carry ExternalInvoiceReference1 ' || i.order_id
            WHEN s.order_id IS NOT NULL AND coalesce(p.n_invoices, 0) = 0 AND s.set_aside IS NOT NULL
                THEN 'dead letter (' || s.set_aside || ')'
            WHEN s.order_id IS NOT NULL AND coalesce(p.n_invoices, 0) = 0
                THEN 'no Fortnox invoice; ledger: ' || coalesce(l.status, 'no row')
                     || coalesce(' (dead letter ' || coalesce(CAST(l.error_code AS VARCHAR) || ' ', '') || l.error_message || ')', '')
            ELSE e.detail END AS detail
FROM rc_orders i
LEFT JOIN rc_sales s ON s.order_id = i.order_id
LEFT JOIN per_order p ON p.order_id = i.order_id
LEFT JOIN deltas.invoice_exclusions e ON e.shop = i.shop AND e.order_id = i.order_id
LEFT JOIN led l ON l.order_id = i.order_id
ORDER BY i.order_id;

-- Payments per order, in the document currency: WooCommerce's paid total (when date_paid is set) minus refunds
-- paid back through the gateway, against Fortnox's payments on the order's invoice and credit invoices.
CREATE OR REPLACE TEMP TABLE rc_new_payments AS
WITH expected AS (
    SELECT s.order_id, s.currency, s.set_aside,
           CASE WHEN s.date_paid IS NOT NULL THEN s.gross_cents ELSE 0 END
           - coalesce((SELECT w.paid_back_cents FROM rc_woo_orders w WHERE w.order_id = s.order_id), 0) AS cents
    FROM rc_sales s
),
fx AS (
    SELECT x.order_id, count(*) AS n_payments, sum(p.cents) AS cents
    FROM rc_fx_payments p
    JOIN rc_fx_docs x ON x.number = p.invoice_number AND NOT x.cancelled
    WHERE x.order_id IS NOT NULL
    GROUP BY x.order_id
),
excl AS (
    SELECT order_id, string_agg(DISTINCT reason, ', ') AS reason FROM deltas.payment_exclusions e, map_settings m
    WHERE e.shop = m.shop GROUP BY order_id
)
SELECT (SELECT shop FROM map_settings) AS shop, coalesce(e.order_id, f.order_id) AS order_id,
       coalesce(e.currency, (SELECT any_value(currency) FROM rc_fx_docs x WHERE x.order_id = f.order_id)) AS currency,
       rc_amount(coalesce(e.cents, 0)) AS woo_paid, rc_amount(coalesce(f.cents, 0)) AS fx_paid,
       coalesce(f.n_payments, 0) AS fx_payments,
       rc_amount(coalesce(f.cents, 0) - coalesce(e.cents, 0)) AS difference,
       CASE WHEN coalesce(f.cents, 0) = coalesce(e.cents, 0) THEN 'ok'
            WHEN x.reason IS NOT NULL THEN 'excluded'
            WHEN e.set_aside IS NOT NULL
              OR EXISTS (SELECT 1 FROM rc_dead d WHERE d.entity = 'invoice_payment'
                         AND (d.source_key = CAST(coalesce(e.order_id, f.order_id) AS VARCHAR)
                              OR d.source_key IN (SELECT 'refund-' || r.refund_id FROM staging.refunds r
                                                  WHERE r.order_id = coalesce(e.order_id, f.order_id)))) THEN 'set_aside'
            ELSE 'difference' END AS outcome,
       coalesce(x.reason, e.set_aside) AS reason
FROM expected e
FULL OUTER JOIN fx f ON f.order_id = e.order_id
LEFT JOIN excl x ON x.order_id = coalesce(e.order_id, f.order_id)
WHERE coalesce(e.cents, 0) <> 0 OR coalesce(f.cents, 0) <> 0
ORDER BY 2;

-- Fortnox documents whose totals woofort did not choose: Fortnox's own RoundOff (the tenant's öresavrundning is
-- on), or a document whose per-rate VAT does not add up to its TotalVAT.
CREATE OR REPLACE TEMP TABLE rc_new_fortnox_document_problems AS
SELECT (SELECT shop FROM map_settings) AS shop, x.number, x.order_id, x.day, x.currency,
       rc_amount(x.total_cents) AS total, rc_amount(x.roundoff_cents) AS fortnox_roundoff,
       rc_amount(x.total_vat_cents) AS total_vat, rc_amount(dt.vat_sum_cents) AS vat_by_rate_sum,
       CASE WHEN x.roundoff_cents <> 0
                THEN 'Fortnox added its own öresavrundning (RoundOff ' || rc_amount(x.roundoff_cents)
                     || '): turn off Öresavrundning in Fortnox (Inställningar > Fakturering); woofort writes its own round-off row'
            ELSE 'TotalVAT ' || rc_amount(x.total_vat_cents) || ' differs from the VAT per rate '
                 || rc_amount(dt.vat_sum_cents) || ' of the VAT model ' || m.vat_rounding || ', half '
                 || m.half_rounding || ': run `woofort fortnox calibrate` to measure the company''s' END AS problem
FROM rc_fx_docs x JOIN rc_fx_doc_totals dt ON dt.number = x.number, rc_vat_model m
WHERE NOT x.cancelled AND (x.roundoff_cents <> 0 OR x.total_vat_cents <> dt.vat_sum_cents)
ORDER BY x.day, x.number;

-- Per order, in the document currency: what WooCommerce kept against Fortnox's live revenue, VAT per rate and
-- open balance (docs/accounting.md §12 "Per order"). Every order in the books (rc_woo_orders) and every staged
-- order of the shop that has a live (not cancelled) Fortnox invoice or credit invoice.
--   fx_revenue = Σ Total of the order's invoices and credit invoices (credits are negative)
--   fx_vat     = Σ VAT per rate of their rows, as Fortnox computes it (rc_fx_rates)
--   fx_open    = Σ Total − Σ Fortnox payments on them (AmountCurrency): Fortnox's Balance summed over the order's
--                documents (R12; a credit settled against its invoice moves both Balances by the same amount, so
--                the sum is unchanged). Computed rather than read because the stored Balance is the one of the
--                last time the document was read (fx_balance, for information).
-- Set aside (open dead letter of the order's invoice, customer, article, credit or payment) is shown apart;
-- orders in deltas.payment_exclusions with an open difference are 'payment_excluded' (payments_match lists them).
CREATE OR REPLACE TEMP TABLE rc_fx_order_docs AS
SELECT x.* FROM rc_fx_docs x
WHERE NOT x.cancelled AND x.order_id IN (SELECT o.order_id FROM rc_orders o);

CREATE OR REPLACE TEMP TABLE rc_vat_per_order AS
WITH f AS (
    SELECT x.order_id, t.vat_rate, sum(t.vat_cents) AS vat_cents
    FROM rc_fx_order_docs x JOIN rc_fx_rates t ON t.number = x.number GROUP BY ALL
),
w AS (SELECT order_id, vat_rate, vat_cents FROM rc_woo_order_vat WHERE order_id IN (SELECT order_id FROM rc_woo_orders))
SELECT coalesce(w.order_id, f.order_id) AS order_id, coalesce(w.vat_rate, f.vat_rate) AS vat_rate,
       coalesce(w.vat_cents, 0) AS woo_vat_cents, coalesce(f.vat_cents, 0) AS fx_vat_cents
FROM w FULL OUTER JOIN f ON f.order_id = w.order_id AND f.vat_rate IS NOT DISTINCT FROM w.vat_rate;

CREATE OR REPLACE TEMP TABLE rc_new_order_balances AS
WITH fx AS (
    SELECT x.order_id, any_value(x.currency) AS currency, count(DISTINCT x.currency) AS n_currencies,
           sum(x.total_cents) AS revenue_cents, sum(coalesce(x.balance_cents, 0)) AS balance_cents,
           string_agg(CASE WHEN x.credit THEN 'credit ' ELSE 'invoice ' END || x.number || ' ' || x.day || ' '
                      || rc_amount(x.total_cents), ', ' ORDER BY length(x.number), x.number) AS documents
    FROM rc_fx_order_docs x GROUP BY x.order_id
),
paid AS (
    SELECT x.order_id, sum(p.cents) AS cents
    FROM rc_fx_payments p
    JOIN rc_fx_order_docs x ON x.number = p.invoice_number
    GROUP BY x.order_id
),
vat AS (
    SELECT order_id, sum(woo_vat_cents) AS woo_vat, sum(fx_vat_cents) AS fx_vat,
           string_agg(CASE WHEN woo_vat_cents <> fx_vat_cents
                           THEN coalesce(CAST(CAST(vat_rate AS DOUBLE) AS VARCHAR) || ' %', 'rate unknown') || ': '
                                || rc_amount(woo_vat_cents) || ' / ' || rc_amount(fx_vat_cents) END,
                      '; ' ORDER BY vat_rate) AS vat_rate_diffs
    FROM rc_vat_per_order GROUP BY order_id
),
pay_dead AS (
    SELECT o.order_id FROM rc_orders o
    WHERE EXISTS (SELECT 1 FROM rc_dead d WHERE d.entity = 'invoice_payment'
                  AND (d.source_key = CAST(o.order_id AS VARCHAR)
                       OR d.source_key IN (SELECT 'refund-' || r.refund_id FROM staging.refunds r
                                           WHERE r.shop = o.shop AND r.order_id = o.order_id)))
),
doc_dead AS (
    SELECT order_id, min(set_aside) AS set_aside FROM rc_woo_docs WHERE set_aside IS NOT NULL GROUP BY order_id
),
pex AS (
    SELECT order_id, string_agg(DISTINCT reason, ', ') AS reason FROM deltas.payment_exclusions e, map_settings m
    WHERE e.shop = m.shop GROUP BY order_id
),
b AS (
    SELECT coalesce(w.order_id, f.order_id) AS order_id, coalesce(w.currency, f.currency) AS currency,
           coalesce(w.kept_cents, 0) AS woo_kept, coalesce(f.revenue_cents, 0) AS fx_revenue,
           coalesce(v.woo_vat, 0) AS woo_vat, coalesce(v.fx_vat, 0) AS fx_vat, v.vat_rate_diffs,
           coalesce(w.kept_cents - w.paid_cents + w.paid_back_cents, 0) AS woo_outstanding,
           coalesce(f.revenue_cents, 0) - coalesce(p.cents, 0) AS fx_open, f.balance_cents AS fx_balance,
           w.order_id IS NOT NULL AS in_books, f.documents, coalesce(f.n_currencies, 0) > 1
               OR (w.currency IS NOT NULL AND f.currency IS NOT NULL AND w.currency <> f.currency) AS currency_mismatch,
           coalesce(dd.set_aside, CASE WHEN pd.order_id IS NOT NULL THEN 'payment dead letter' END) AS set_aside,
           x.reason AS payment_excluded
    FROM rc_woo_orders w
    FULL OUTER JOIN fx f ON f.order_id = w.order_id
    LEFT JOIN paid p ON p.order_id = coalesce(w.order_id, f.order_id)
    LEFT JOIN vat v ON v.order_id = coalesce(w.order_id, f.order_id)
    LEFT JOIN doc_dead dd ON dd.order_id = coalesce(w.order_id, f.order_id)
    LEFT JOIN pay_dead pd ON pd.order_id = coalesce(w.order_id, f.order_id)
    LEFT JOIN pex x ON x.order_id = coalesce(w.order_id, f.order_id)
)
SELECT (SELECT shop FROM map_settings) AS shop, b.order_id, o.status AS order_status, b.currency, b.in_books,
       rc_amount(b.woo_kept) AS woo_kept, rc_amount(b.fx_revenue) AS fx_revenue,
       rc_amount(b.fx_revenue - b.woo_kept) AS revenue_diff,
       rc_amount(b.woo_vat) AS woo_vat, rc_amount(b.fx_vat) AS fx_vat, rc_amount(b.fx_vat - b.woo_vat) AS vat_diff,
       b.vat_rate_diffs,
       rc_amount(b.woo_outstanding) AS woo_outstanding, rc_amount(b.fx_open) AS fx_open,
       rc_amount(b.fx_open - b.woo_outstanding) AS open_diff, rc_amount(b.fx_balance) AS fx_balance,
       CASE WHEN b.set_aside IS NOT NULL THEN 'set_aside'
            WHEN b.fx_revenue <> b.woo_kept OR b.vat_rate_diffs IS NOT NULL OR b.currency_mismatch THEN 'difference'
            WHEN b.fx_open <> b.woo_outstanding AND b.payment_excluded IS NOT NULL THEN 'payment_excluded'
            WHEN b.fx_open <> b.woo_outstanding THEN 'difference'
            ELSE 'ok' END AS outcome,
       concat_ws('; ',
                 CASE WHEN NOT b.in_books THEN 'not in the books (' || coalesce(o.reason, 'not a staged order') || ')' END,
                 'Fortnox: ' || coalesce(b.documents, 'no live document'),
                 CASE WHEN b.currency_mismatch THEN 'document currency differs from the order''s' END,
                 CASE WHEN b.vat_rate_diffs IS NOT NULL THEN 'VAT WooCommerce / Fortnox: ' || b.vat_rate_diffs END,
                 CASE WHEN b.set_aside IS NOT NULL THEN 'set aside: ' || b.set_aside END,
                 CASE WHEN b.payment_excluded IS NOT NULL THEN 'payments excluded: ' || b.payment_excluded END)
           AS detail
FROM b LEFT JOIN rc_orders o ON o.order_id = b.order_id
ORDER BY b.order_id;

-- Per order and VAT rate (the detail behind order_balances.vat_diff).
CREATE OR REPLACE TEMP TABLE rc_new_order_vat AS
SELECT (SELECT shop FROM map_settings) AS shop, order_id, vat_rate, rc_amount(woo_vat_cents) AS woo_vat,
       rc_amount(fx_vat_cents) AS fx_vat, rc_amount(fx_vat_cents - woo_vat_cents) AS vat_diff
FROM rc_vat_per_order
ORDER BY order_id, vat_rate;
