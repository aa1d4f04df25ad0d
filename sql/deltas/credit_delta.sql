-- deltas.credit_delta: credit invoices for WooCommerce refunds, and whole-order reversals of invoiced orders that
-- were cancelled or refunded afterwards. Needs _macros.sql, _articles.sql, _orders.sql; reads deltas.invoice_delta.
--   refund (full or partial, shipping-only included)  -> action credit, source_key = refund id
--   order cancelled/refunded, invoice not booked       -> action cancel, source_key = 'order-<order id>'
--     (its refunds are then not credited one by one: the cancellation covers them)
--   order cancelled/refunded without refunds, booked   -> action credit of the whole invoice, source_key 'order-<id>'
--   order cancelled/refunded after refunds, booked     -> action credit of what the refunds left, 'order-<id>'
--     (revenue 0 in Fortnox; money WooCommerce did not pay back stays the customer's credit, listed by the
--     reconciliation's open balances)
-- An invoice created in this run counts as booked when the mapping books invoices (the sink books it first).
-- ref_entity 'invoice', ref_source_key = order id: the sink puts the original's DocumentNumber in
-- CreditInvoiceReference. A credit already in the ledger with a Fortnox number is never re-sent.

-- Orders whose invoice exists in Fortnox (ledger) or is being created/changed in this run.
CREATE OR REPLACE TEMP TABLE wf_invoiced AS
SELECT o.shop, o.order_id, d.booked, d.fortnox_number IS NOT NULL AS in_fortnox
FROM wf_invoices o
JOIN ledger.documents d ON d.shop = o.shop AND d.entity = 'invoice' AND d.source_key = CAST(o.order_id AS VARCHAR)
WHERE d.fortnox_number IS NOT NULL AND d.status <> 'cancelled'
UNION ALL
SELECT i.shop, i.order_id, false, false
FROM deltas.invoice_delta i, map_settings s
WHERE i.shop = s.shop AND i.action = 'create' AND i.order_id IN (SELECT order_id FROM wf_scope)
  AND NOT EXISTS (SELECT 1 FROM ledger.documents d WHERE d.shop = i.shop AND d.entity = 'invoice'
                  AND d.source_key = i.source_key AND d.fortnox_number IS NOT NULL AND d.status <> 'cancelled');

-- Whole-order reversals.
CREATE OR REPLACE TEMP TABLE wf_reversals AS
SELECT o.shop, o.order_id, o.status,
       CASE WHEN v.booked OR (NOT v.in_fortnox AND o.bookkeep) THEN 'credit' ELSE 'cancel' END AS action,
       EXISTS (SELECT 1 FROM wf_staged_refunds r WHERE r.shop = o.shop AND r.order_id = o.order_id
               AND r.amount <> 0) AS has_refunds
FROM wf_invoices o
JOIN wf_invoiced v ON v.order_id = o.order_id
WHERE o.status IN ('cancelled', 'refunded');

-- Credit rows: refund lines mapped to the order line they refund (its rate, account, article, description),
-- whole-invoice credits from the invoice's own lines; quantities negative, prices positive.
CREATE OR REPLACE TEMP TABLE wf_credit_lines AS
WITH refunds AS (
    SELECT r.*, o.prices_include_tax AS gross, o.region, o.tax_country
    FROM wf_staged_refunds r
    JOIN wf_invoices o ON o.shop = r.shop AND o.order_id = r.order_id
    -- a refund follows its order: a credit invoice, or (daily_voucher_delta reads these rows) the day's voucher
    WHERE (r.order_id IN (SELECT order_id FROM wf_invoiced) OR o.reason = 'on_daily_voucher')
      AND NOT EXISTS (SELECT 1 FROM wf_reversals x WHERE x.order_id = r.order_id AND x.action = 'cancel')
      AND r.amount <> 0  -- a restock-only refund moves no money: nothing to credit
),
-- a shipping or fee line the invoice split over several rates (_line_rates.sql): a refund of it is split in the
-- same proportions (its net by the parts' net, its tax by their tax), so that a full refund credits exactly each
-- part invoiced
split_lines AS (
    SELECT order_id, line_id, list(abs(amount_cents - CASE WHEN gross THEN tax_cents ELSE 0 END) ORDER BY part)
               AS net_weights,
           list(abs(tax_cents) ORDER BY part) AS tax_weights
    FROM wf_lines WHERE n_parts > 1 GROUP BY ALL
),
refund_lines AS (
    SELECT CAST(rf.refund_id AS VARCHAR) AS credit_key, rf.order_id, rf.refund_id, rl.line_id, coalesce(ol.part, 1) AS part,
           rl.refunded_item_id,
           rl.line_type, coalesce(ol.type_order, 9) AS type_order, rf.gross,
           coalesce(ol.description, left(coalesce(rl.name, rl.line_type), 255)) AS description,
           ol.article_number,
           coalesce(ol.vat_rate, CASE WHEN rl.total_tax = 0 THEN CAST(0 AS DECIMAL(9, 4)) END) AS vat_rate,
           ol.account,
           abs(rl.quantity) AS quantity,
           -- refund lines are negative; a refunded negative fee (a discount) comes back positive
           coalesce(wf_apportion(wf_cents(rl.total), sp.net_weights)[ol.part]
                        + CASE WHEN rf.gross THEN wf_apportion(wf_cents(rl.total_tax), sp.tax_weights)[ol.part] ELSE 0 END,
                    wf_cents(CASE WHEN rf.gross THEN rl.total + rl.total_tax ELSE rl.total END)) AS amount_cents,
           coalesce(wf_apportion(wf_cents(rl.total_tax), sp.tax_weights)[ol.part], wf_cents(rl.total_tax)) AS tax_cents
    FROM refunds rf
    JOIN wf_staged_refund_lines rl ON rl.shop = rf.shop AND rl.refund_id = rf.refund_id
    LEFT JOIN wf_lines ol ON ol.order_id = rf.order_id AND ol.line_id = rl.refunded_item_id
    LEFT JOIN split_lines sp ON sp.order_id = ol.order_id AND sp.line_id = ol.line_id
    WHERE rl.total <> 0 OR rl.total_tax <> 0
),
whole AS (
    SELECT 'order-' || x.order_id AS credit_key, x.order_id, CAST(NULL AS BIGINT) AS refund_id, l.line_id,
           l.line_type, l.type_order, l.gross, l.description, l.article_number, l.vat_rate, l.account,
           l.qty AS quantity, -l.amount_cents AS amount_cents, -l.tax_cents AS tax_cents
    FROM wf_reversals x JOIN wf_lines l ON l.order_id = x.order_id
    WHERE x.action = 'credit' AND NOT x.has_refunds
),
refunded_per_line AS (
    SELECT order_id, refunded_item_id AS line_id, part, sum(quantity) AS quantity, sum(amount_cents) AS amount_cents,
           sum(tax_cents) AS tax_cents
    FROM refund_lines GROUP BY ALL
),
-- what the refunds of a cancelled or refunded order left of each line (refund lines are negative)
remainder AS (
    SELECT 'order-' || x.order_id AS credit_key, x.order_id, CAST(NULL AS BIGINT) AS refund_id, l.line_id,
           l.line_type, l.type_order, l.gross, l.description, l.article_number, l.vat_rate, l.account,
           greatest(l.qty - coalesce(r.quantity, 0), 0) AS quantity,
           -(l.amount_cents + coalesce(r.amount_cents, 0)) AS amount_cents,
           -(l.tax_cents + coalesce(r.tax_cents, 0)) AS tax_cents
    FROM wf_reversals x JOIN wf_lines l ON l.order_id = x.order_id
    LEFT JOIN refunded_per_line r ON r.order_id = l.order_id AND r.line_id = l.line_id AND r.part = l.part
    WHERE x.action = 'credit' AND x.has_refunds
      AND (l.amount_cents + coalesce(r.amount_cents, 0) <> 0 OR l.tax_cents + coalesce(r.tax_cents, 0) <> 0)
),
-- a refund with no lines (an amount only): spread over the order's VAT rates in proportion to their gross
amount_only AS (
    SELECT rf.refund_id, rf.order_id, wf_cents(rf.amount) AS cents
    FROM refunds rf
    WHERE NOT EXISTS (SELECT 1 FROM wf_staged_refund_lines rl WHERE rl.shop = rf.shop AND rl.refund_id = rf.refund_id
                      AND (rl.total <> 0 OR rl.total_tax <> 0))
),
order_rates AS (
    SELECT order_id, vat_rate, arg_min(account, CAST(type_order AS BIGINT) * 1000000000 + line_id) AS account,
           sum(wf_cents(CASE WHEN gross THEN wf_amount(amount_cents) ELSE wf_amount(amount_cents + tax_cents) END)) AS gross_cents
    FROM wf_lines WHERE vat_rate IS NOT NULL GROUP BY ALL
),
alloc AS (
    SELECT a.refund_id, a.order_id, r.vat_rate, r.account, a.cents,
           r.gross_cents, sum(r.gross_cents) OVER (PARTITION BY a.refund_id) AS order_gross,
           row_number() OVER (PARTITION BY a.refund_id ORDER BY r.gross_cents DESC, r.vat_rate DESC) AS rn
    FROM amount_only a JOIN order_rates r ON r.order_id = a.order_id
    -- an order whose rates all sum to 0 (its total only a round-off) gives the refund to its highest rate
    WHERE r.gross_cents > 0
       OR NOT EXISTS (SELECT 1 FROM order_rates p WHERE p.order_id = a.order_id AND p.gross_cents > 0)
),
alloc2 AS (
    SELECT *, CASE WHEN order_gross = 0 THEN 0 ELSE wf_div_floor(cents * gross_cents, order_gross) END AS share
    FROM alloc
),
alloc3 AS (
    SELECT *, share + CASE WHEN rn = 1 THEN cents - sum(share) OVER (PARTITION BY refund_id) ELSE 0 END AS g_cents
    FROM alloc2
)
SELECT credit_key, order_id, refund_id, line_id, line_type, type_order, gross, description, article_number,
       vat_rate, account, quantity, amount_cents, tax_cents
FROM refund_lines
UNION ALL
SELECT * FROM whole
UNION ALL
SELECT * FROM remainder
UNION ALL
-- the amount-only refunds of an order credited for its remainder: already credited, so given back on the
-- remainder's credit at their rate (net rows when the order's prices exclude VAT)
SELECT 'order-' || a.order_id, a.order_id, NULL, CAST(1000000 + a.refund_id * 100 + a.rn AS BIGINT), 'refund', 6,
       o.gross, 'Återbetalning ' || a.refund_id, NULL, a.vat_rate, a.account, CAST(1 AS DECIMAL(18, 4)),
       a.g_cents - CASE WHEN o.gross THEN 0 ELSE wf_vat(a.g_cents, wf_rate_units(a.vat_rate), true) END,
       wf_vat(a.g_cents, wf_rate_units(a.vat_rate), true)
FROM alloc3 a
JOIN wf_reversals x ON x.order_id = a.order_id AND x.action = 'credit' AND x.has_refunds
JOIN (SELECT DISTINCT order_id, gross FROM wf_lines) o ON o.order_id = a.order_id
WHERE a.g_cents <> 0
UNION ALL
-- amount-only refunds are credited incl. VAT (VATIncluded true); their VAT is what Fortnox computes
SELECT CAST(refund_id AS VARCHAR), order_id, refund_id, CAST(rn AS BIGINT), 'refund', 6, true,
       'Återbetalning', NULL, vat_rate, account, CAST(1 AS DECIMAL(18, 4)), -g_cents,
       wf_vat(-g_cents, wf_rate_units(vat_rate), true)
FROM alloc3 WHERE g_cents <> 0;

CREATE OR REPLACE TEMP TABLE wf_credit_rows AS
SELECT c.*, wf_rate_units(c.vat_rate) AS rate_units,
       CASE WHEN c.quantity > 0 AND c.quantity = round(c.quantity, 2) THEN CAST(c.quantity AS DECIMAL(18, 2))
            ELSE CAST(1 AS DECIMAL(18, 2)) END AS qty
FROM wf_credit_lines c;

-- VAT rounding per credit and rate, as for invoices.
CREATE OR REPLACE TEMP VIEW wf_credit_vat_rows AS SELECT credit_key AS doc, * FROM wf_credit_rows;
CREATE OR REPLACE TEMP TABLE wf_credit_rate_sums AS
SELECT doc AS credit_key, * EXCLUDE (doc) FROM wf_vat_rounding('wf_credit_vat_rows');

CREATE OR REPLACE TEMP TABLE wf_credits AS
WITH keys AS (
    SELECT DISTINCT credit_key, order_id, refund_id, gross FROM wf_credit_rows
    WHERE order_id NOT IN (SELECT order_id FROM wf_voucher_orders)
),
target AS (
    SELECT k.credit_key, k.order_id, k.refund_id, bool_and(k.gross) AS gross,
           CASE WHEN any_value(k.refund_id) IS NOT NULL THEN -wf_cents(any_value(r.amount))
                ELSE -(wf_cents(any_value(o.total)) - coalesce(any_value(rs.refunded_cents), 0)) END AS target_cents,
           any_value(r.date_created) AS refund_date,
           coalesce(any_value(r.reason), any_value(rs.last_reason)) AS reason,
           coalesce(any_value(rs.refunded_cents), 0) <> 0 AS remainder
    FROM keys k
    LEFT JOIN (SELECT r.order_id, sum(wf_cents(r.amount)) AS refunded_cents,
                      arg_max(nullif(trim(r.reason), ''), r.date_created) AS last_reason
               FROM wf_staged_refunds r, map_settings s WHERE r.shop = s.shop GROUP BY r.order_id) rs
           ON k.refund_id IS NULL AND rs.order_id = k.order_id
    LEFT JOIN wf_staged_refunds r ON r.refund_id = k.refund_id AND r.shop = (SELECT shop FROM map_settings)
    LEFT JOIN wf_invoices o ON o.order_id = k.order_id
    GROUP BY k.credit_key, k.order_id, k.refund_id
),
sums AS (
    SELECT credit_key, sum(a + x + CASE WHEN gross THEN 0 ELSE fortnox_vat END) AS fortnox_total,
           sum(x) AS vat_adjustment, bool_or(vat_unmatched) AS vat_unmatched
    FROM wf_credit_rate_sums GROUP BY credit_key
),
hdr AS (
    SELECT t.*, o.customer_number, o.currency, o.fx_rate, o.fx_unit, o.invoice_date, o.number, o.region, o.status,
           w.billing_company, w.billing_first_name, w.billing_last_name, w.billing_email,
           w.billing_address_1, w.billing_address_2, w.billing_postcode, w.billing_city,
           -- a refund on its day; a cancellation on the day the order last changed
           greatest(coalesce(CAST(t.refund_date AS DATE), CAST(o.date_modified AS DATE), o.invoice_date),
                    o.invoice_date) AS credit_date,
           t.target_cents - coalesce(s.fortnox_total, 0) AS round_off_cents,
           coalesce(s.vat_adjustment, 0) AS vat_adjustment_cents, coalesce(s.vat_unmatched, false) AS vat_unmatched,
           m.round_off_account, m.price_list, m.bookkeep
    FROM target t
    JOIN wf_invoices o ON o.order_id = t.order_id
    JOIN wf_orders w ON w.order_id = t.order_id
    JOIN map_settings m ON true
    LEFT JOIN sums s ON s.credit_key = t.credit_key
),
rows_ AS (
    SELECT credit_key, type_order AS g, line_id AS k,
           CASE WHEN article_number IS NULL
                THEN json_object('Description', description, 'DeliveredQuantity', -qty, 'Price', price,
                                 'Discount', CAST(wf_amount(-amount_cents) - qty * price AS DECIMAL(18, 2)),
                                 'DiscountType', 'AMOUNT', 'VAT', wf_row_vat(vat_rate), 'AccountNumber', account)
                ELSE json_object('Description', description, 'DeliveredQuantity', -qty, 'Price', price,
                                 'Discount', CAST(wf_amount(-amount_cents) - qty * price AS DECIMAL(18, 2)),
                                 'DiscountType', 'AMOUNT', 'VAT', wf_row_vat(vat_rate), 'AccountNumber', account,
                                 'ArticleNumber', article_number) END AS row_json
    FROM (SELECT *,
                 -- unit price rounded down so that the AMOUNT discount of a negative row is never negative
                 wf_amount(wf_div_floor(-amount_cents * 100, CAST(qty * 100 AS HUGEINT))) AS price
          FROM wf_credit_rows)
    UNION ALL
    SELECT credit_key, 7, CAST(vat_rate * 100 AS BIGINT),
           json_object('Description', 'Momsavrundning ' || wf_rate_text(vat_rate) || ' %',
                       'DeliveredQuantity', CAST(-1 AS DECIMAL(18, 2)), 'Price', wf_amount(-x),
                       'Discount', CAST(0 AS DECIMAL(18, 2)), 'DiscountType', 'AMOUNT',
                       'VAT', wf_row_vat(vat_rate), 'AccountNumber', account)
    FROM wf_credit_rate_sums WHERE x <> 0
    UNION ALL
    SELECT credit_key, 8, 0,
           json_object('Description', 'Öresavrundning', 'DeliveredQuantity', CAST(-1 AS DECIMAL(18, 2)),
                       'Price', wf_amount(-round_off_cents), 'Discount', CAST(0 AS DECIMAL(18, 2)),
                       'DiscountType', 'AMOUNT', 'VAT', 0, 'AccountNumber', round_off_account)
    FROM hdr WHERE round_off_cents <> 0
),
rows_json AS (
    SELECT credit_key, to_json(list_transform(list_sort(list({'g': g, 'k': k, 'row': row_json})), r -> r.row)) AS invoice_rows
    FROM rows_ GROUP BY credit_key
)
SELECT h.*, wf_amount(h.round_off_cents) AS round_off, wf_amount(h.vat_adjustment_cents) AS vat_adjustment,
       wf_amount(h.target_cents) AS total,
       json_object('Invoice', json_merge_patch(
           json_object(
               'CustomerNumber', h.customer_number,
               'InvoiceDate', strftime(h.credit_date, '%Y-%m-%d'),
               'CreditInvoiceReference', NULL,
               'Currency', upper(h.currency),
               'VATIncluded', h.gross,
               'PriceList', h.price_list,
               'YourOrderNumber', left(coalesce(h.number, CAST(h.order_id AS VARCHAR)), 75),
               'ExternalInvoiceReference1', CAST(h.order_id AS VARCHAR),
               'ExternalInvoiceReference2', CASE WHEN h.refund_id IS NOT NULL THEN 'refund ' || h.refund_id
                                                 ELSE 'order ' || h.status END,
               'CustomerName', left(coalesce(nullif(trim(h.billing_company), ''),
                                             nullif(trim(concat_ws(' ', trim(h.billing_first_name), trim(h.billing_last_name))), ''),
                                             wf_email(h.billing_email), 'Order ' || h.order_id), 1024),
               'Address1', coalesce(h.billing_address_1, ''),
               'Address2', coalesce(h.billing_address_2, ''),
               'ZipCode', left(coalesce(h.billing_postcode, ''), 10),
               'City', coalesce(h.billing_city, ''),
               'Remarks', left('Kredit av order ' || coalesce(h.number, CAST(h.order_id AS VARCHAR))
                               || coalesce(': ' || nullif(trim(h.reason), ''), ''), 1024),
               'InvoiceRows', coalesce(rj.invoice_rows, json('[]'))),
           json_object('CurrencyRate', h.fx_rate, 'CurrencyUnit', h.fx_unit))) AS payload
FROM hdr h LEFT JOIN rows_json rj ON rj.credit_key = h.credit_key;

CREATE OR REPLACE TEMP TABLE wf_new_credit_delta AS
WITH all_ AS (
    SELECT c.credit_key AS source_key, 'credit' AS action, c.payload, c.order_id, c.refund_id, c.credit_date,
           c.total, c.round_off, c.vat_adjustment, c.bookkeep, c.vat_unmatched, c.remainder
    FROM wf_credits c
    WHERE NOT (c.remainder AND c.total = 0)     -- the refunds took it all: nothing remains to credit
    UNION ALL
    SELECT 'order-' || x.order_id, 'cancel',
           json_object('Invoice', json_object('ExternalInvoiceReference1', CAST(x.order_id AS VARCHAR),
                                              'Comments', 'Makulerad: WooCommerce-order ' || x.status)),
           x.order_id, NULL, NULL, NULL, NULL, NULL, NULL, false, false
    FROM wf_reversals x WHERE x.action = 'cancel'
)
SELECT (SELECT shop FROM map_settings) AS shop, a.source_key, 'credit_invoice' AS entity, a.action, a.payload,
       md5(CAST(a.payload AS VARCHAR)) AS payload_hash, a.order_id,
       'invoice' AS ref_entity, CAST(a.order_id AS VARCHAR) AS ref_source_key,
       a.refund_id, a.credit_date, a.total, a.round_off, a.vat_adjustment, a.bookkeep, a.vat_unmatched, a.remainder
FROM all_ a
WHERE NOT EXISTS (SELECT 1 FROM ledger.documents d
                  WHERE d.shop = (SELECT shop FROM map_settings) AND d.entity = 'credit_invoice'
                    AND d.source_key = a.source_key
                    AND (d.payload_hash = md5(CAST(a.payload AS VARCHAR)) OR d.fortnox_number IS NOT NULL
                         OR d.status IN ('cancelled', 'synced', 'adopted')))
ORDER BY a.order_id, a.source_key;
