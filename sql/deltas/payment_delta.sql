-- deltas.payment_delta: invoice payments. Needs _macros.sql, _articles.sql, _orders.sql; reads deltas.invoice_delta
-- and deltas.credit_delta.
--   paid order (date_paid set, status a trigger status) whose invoice is in Fortnox or created in this run
--     -> source_key = order id, ref invoice/<order id>, Amount = the order total (the invoice's TotalToPay)
--   refund paid back (refunded_payment) whose credit invoice is in Fortnox or created in this run
--     -> source_key = 'refund-<refund id>', ref credit_invoice/<refund id>, negative Amount
--   refund paid back by hand (refunded_payment false): the same, on payments.manual_refunds (when it is null
--     the credit note stays open, the customer's credit)
-- PaymentDate = the paid (refund) date in store time, never before the invoice date. ModeOfPayment and its
-- account from the mapping's payments.methods (else payments.default). Foreign currency (docs/accounting.md
-- "Foreign currency"): AmountCurrency is the document amount, CurrencyRate/CurrencyUnit the rate of the payment
-- date (the invoice's on the invoice date, else Fortnox's register or the rate file for that day: wf_fx_dated;
-- sent per the invoice's CurrencyUnit) and
-- Amount (SEK) = AmountCurrency x CurrencyRate / CurrencyUnit, so Fortnox books the exchange difference against
-- the invoice's rate; no rate for the day: listed as no_rate_for_date. An invoice booked before woofort knew
-- its rate (none sent) is paid at Fortnox's rate: Amount null, the sink fills it. A payment in the ledger with a
-- Fortnox number is never re-sent. deltas.payment_exclusions lists paid, invoiced orders that get no payment, with the reason.
CREATE OR REPLACE TEMP TABLE wf_payment_src AS
WITH invoiced AS (
    SELECT CAST(d.source_key AS VARCHAR) AS source_key FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity = 'invoice' AND d.fortnox_number IS NOT NULL AND d.status <> 'cancelled'
    UNION
    SELECT i.source_key FROM deltas.invoice_delta i, map_settings s
    WHERE i.shop = s.shop AND i.order_id IN (SELECT order_id FROM wf_scope)
),
credited AS (
    SELECT CAST(d.source_key AS VARCHAR) AS source_key FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity = 'credit_invoice' AND d.fortnox_number IS NOT NULL AND d.status <> 'cancelled'
    UNION
    SELECT c.source_key FROM deltas.credit_delta c, map_settings s
    WHERE c.shop = s.shop AND c.action = 'credit' AND c.order_id IN (SELECT order_id FROM wf_scope)
)
SELECT CAST(o.order_id AS VARCHAR) AS source_key, o.order_id, CAST(NULL AS BIGINT) AS refund_id,
       'invoice' AS ref_entity, CAST(o.order_id AS VARCHAR) AS ref_source_key,
       o.payment_method, o.currency, o.fx_rate, o.fx_unit, o.invoice_date, wf_cents(o.total) AS amount_cents,
       greatest(CAST(o.date_paid AS DATE), o.invoice_date) AS payment_date, false AS manual
FROM wf_invoices o
WHERE o.reason IS NULL AND o.date_paid IS NOT NULL
  AND CAST(o.order_id AS VARCHAR) IN (SELECT source_key FROM invoiced)
UNION ALL
SELECT 'refund-' || r.refund_id, r.order_id, r.refund_id, 'credit_invoice', CAST(r.refund_id AS VARCHAR),
       o.payment_method, o.currency, o.fx_rate, o.fx_unit, o.invoice_date, -wf_cents(r.amount),
       greatest(CAST(r.date_created AS DATE), o.invoice_date), NOT coalesce(r.refunded_payment, false)
FROM wf_staged_refunds r
JOIN map_settings s ON r.shop = s.shop
JOIN wf_invoices o ON o.order_id = r.order_id
WHERE (coalesce(r.refunded_payment, false) OR s.manual_refund_mode IS NOT NULL) AND r.amount <> 0
  AND CAST(r.refund_id AS VARCHAR) IN (SELECT source_key FROM credited);

CREATE OR REPLACE TEMP TABLE wf_payments AS
SELECT p.* EXCLUDE (fx_rate, fx_unit), coalesce(p.fx_unit, 1) AS invoice_unit,
       CASE WHEN p.payment_date = p.invoice_date OR p.fx_rate IS NULL THEN p.fx_rate ELSE fd.rate END AS fx_rate,
       CASE WHEN p.payment_date = p.invoice_date OR p.fx_rate IS NULL THEN coalesce(p.fx_unit, 1)
            ELSE fd.unit END AS fx_unit,
       upper(p.currency) <> 'SEK' AND p.fx_rate IS NOT NULL AND p.payment_date <> p.invoice_date AND fd.rate IS NULL
           AS no_rate,
       CASE WHEN p.manual THEN s.manual_refund_mode ELSE coalesce(m.mode_of_payment, dm.mode_of_payment) END
           AS mode_of_payment,
       CASE WHEN p.manual THEN s.manual_refund_account ELSE coalesce(m.account, dm.account) END AS mode_account,
       upper(p.currency) <> 'SEK' AS foreign_currency
FROM wf_payment_src p
JOIN map_settings s ON true
LEFT JOIN map_payment_methods m ON m.payment_method = p.payment_method AND NOT m.is_default
LEFT JOIN map_payment_methods dm ON dm.is_default
LEFT JOIN wf_fx_dated fd ON fd.currency = upper(p.currency) AND fd.rate_date = p.payment_date;

CREATE OR REPLACE TEMP TABLE wf_new_payment_delta AS
WITH pay AS (
    SELECT p.*,
           json_object('InvoicePayment', json_merge_patch(
               json_object('InvoiceNumber', NULL,
                           'Amount', CASE WHEN NOT p.foreign_currency THEN wf_amount(p.amount_cents)
                                          WHEN p.fx_rate IS NOT NULL
                                              THEN wf_amount(wf_div_half_up(p.amount_cents * wf_micro(p.fx_rate),
                                                                            wf_micro(p.fx_unit))) END,
                           'PaymentDate', strftime(p.payment_date, '%Y-%m-%d'),
                           'ModeOfPayment', p.mode_of_payment,
                           'ModeOfPaymentAccount', p.mode_account),
               json_object('AmountCurrency', CASE WHEN p.foreign_currency THEN wf_amount(p.amount_cents) END,
                           -- per the invoice's CurrencyUnit (the payment's is read-only: [SPEC], reference §5.5)
                           'CurrencyRate', CASE WHEN p.foreign_currency
                                                THEN CAST(CAST(wf_div_half_up(
                                                              wf_micro(p.fx_rate) * wf_micro(p.invoice_unit),
                                                              wf_micro(p.fx_unit)) AS DECIMAL(38, 0)) * 0.000001
                                                          AS DECIMAL(18, 6)) END))) AS payload
    FROM wf_payments p
    WHERE p.mode_of_payment IS NOT NULL AND NOT p.no_rate
)
SELECT (SELECT shop FROM map_settings) AS shop, pay.source_key, 'invoice_payment' AS entity, 'create' AS action,
       pay.payload, md5(CAST(pay.payload AS VARCHAR)) AS payload_hash, pay.order_id,
       pay.ref_entity, pay.ref_source_key, pay.refund_id, pay.payment_date,
       wf_amount(pay.amount_cents) AS amount, upper(pay.currency) AS currency
FROM pay
WHERE NOT EXISTS (SELECT 1 FROM ledger.documents d
                  WHERE d.shop = (SELECT shop FROM map_settings) AND d.entity = 'invoice_payment'
                    AND d.source_key = pay.source_key
                    AND (d.payload_hash = md5(CAST(pay.payload AS VARCHAR)) OR d.fortnox_number IS NOT NULL))
ORDER BY pay.order_id, pay.source_key;

CREATE OR REPLACE TEMP TABLE wf_new_payment_exclusions AS
SELECT (SELECT shop FROM map_settings) AS shop, p.order_id, p.source_key, 'payment_method_not_mapped' AS reason,
       'payment_method ' || coalesce(p.payment_method, '(none)') || ' is not in the mapping (payments.methods) and '
       || 'payments.default is null' AS detail
FROM wf_payments p
WHERE p.mode_of_payment IS NULL
UNION ALL
SELECT (SELECT shop FROM map_settings), p.order_id, p.source_key, 'no_rate_for_date',
       'no ' || upper(p.currency) || ' rate for the payment date ' || p.payment_date || ': Fortnox''s currency '
       || 'register is not for that day and WOOFORT_FX_RATE_FILE has no line for it'
FROM wf_payments p
WHERE p.mode_of_payment IS NOT NULL AND p.no_rate
ORDER BY 2, 3;

-- deltas.settlement_orders: orders with a credit note or a re-issue (in Fortnox, or made in this run), whose
-- Fortnox documents the payments sink settles after its payments (kinds/settlements.py): documents of the same
-- order open in opposite directions are offset on payments.clearing; what the offset left on a paid order's
-- re-issued invoice, or on the credit note that voided its old one, goes on the order's own mode of payment.
CREATE OR REPLACE TEMP TABLE wf_new_settlement_orders AS
WITH touched AS (
    SELECT d.order_id FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity IN ('credit_invoice', 'invoice_reissue') AND d.fortnox_number IS NOT NULL
    UNION SELECT order_id FROM deltas.credit_delta WHERE order_id IN (SELECT order_id FROM wf_scope)
    UNION SELECT order_id FROM deltas.invoice_delta
    WHERE action = 'reissue' AND order_id IN (SELECT order_id FROM wf_scope)
)
SELECT s.shop, o.order_id,
       o.date_paid IS NOT NULL AND o.reason IS NULL AND o.status NOT IN ('cancelled', 'refunded') AS paid,
       p.mode_of_payment, p.mode_account, upper(o.currency) AS currency, s.clearing_mode, s.clearing_account
FROM wf_invoices o
JOIN map_settings s ON true
LEFT JOIN wf_payments p ON p.order_id = o.order_id AND p.refund_id IS NULL
WHERE o.order_id IN (SELECT order_id FROM touched)
ORDER BY o.order_id;
