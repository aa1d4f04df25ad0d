-- deltas.daily_voucher_delta: invoicing.mode daily_vouchers, one voucher per day for the paid Swedish sales
-- _orders.sql puts on vouchers (reason on_daily_voucher) and the refunds of those orders, with a debit row per
-- payment method's account (docs/accounting.md §13). Needs _orders.sql and credit_delta.sql (wf_credit_rows: a refund's rows at the rates and
-- accounts of the lines it refunds). Writes wf_new_voucher_lines, which the build merges into deltas.voucher_lines
-- (the rows each order and refund adds to its day: scope.py WRITES).
--
-- Amounts are WooCommerce's own: per member (an order or a refund) the payment account takes the money, each sales
-- account its net, each rate's VAT account its tax, and the store's rounding (the money less the rows) goes to
-- accounts.round_off, so every member, and every voucher, balances. As for fees (fee_voucher_delta.sql), the day's
-- voucher books what its members hold minus what the day's vouchers in Fortnox hold, per account: an order synced
-- late, refunded on the day, or edited after its voucher gets a correction voucher, never an edit.

-- 1. The members of the scope's orders: the sale on its invoice date, each refund on its own date (never before the
-- sale), debit positive, in öre.
CREATE OR REPLACE TEMP TABLE wf_voucher_members AS
SELECT o.order_id, 'order ' || o.order_id AS member, o.invoice_date AS voucher_date,
       coalesce(nullif(o.payment_method, ''), 'none') AS payment_method, v.payment_account,
       wf_cents(o.total) AS money_cents
FROM wf_invoices o JOIN wf_voucher_orders v USING (order_id)
WHERE o.reason = 'on_daily_voucher'
UNION ALL
SELECT o.order_id, 'refund ' || r.refund_id, greatest(CAST(r.date_created AS DATE), o.invoice_date),
       coalesce(nullif(o.payment_method, ''), 'none'), v.payment_account, -wf_cents(r.amount)
FROM wf_staged_refunds r
JOIN wf_invoices o ON o.shop = r.shop AND o.order_id = r.order_id
JOIN wf_voucher_orders v ON v.order_id = o.order_id
WHERE o.reason = 'on_daily_voucher' AND r.amount <> 0;

-- 2. Each member's rows. The sales and refund rows are the invoice's and the credit's (their amounts include VAT
-- when the order's prices do); every Swedish rate above 0 has a VAT account (the mapping requires it).
CREATE OR REPLACE TEMP TABLE wf_new_voucher_lines AS
WITH lines AS (
    SELECT 'order ' || order_id AS member, account, vat_rate,
           amount_cents - CASE WHEN gross THEN tax_cents ELSE 0 END AS net_cents, tax_cents
    FROM wf_lines WHERE order_id IN (SELECT order_id FROM wf_voucher_members)
    UNION ALL
    SELECT 'refund ' || refund_id, account, vat_rate,
           amount_cents - CASE WHEN gross THEN tax_cents ELSE 0 END, tax_cents
    FROM wf_credit_rows
    WHERE refund_id IS NOT NULL AND credit_key = CAST(refund_id AS VARCHAR)
      AND order_id IN (SELECT order_id FROM wf_voucher_members)
), rows AS (
    SELECT member, account, vat_rate, -sum(net_cents) AS cents FROM lines GROUP BY ALL
    UNION ALL
    SELECT l.member, a.account, l.vat_rate, -sum(l.tax_cents) FROM lines l
    -- a rate without a VAT account (a mapping switched back to invoices without vouchers.vat_accounts) gives a row
    -- without an Account, which Fortnox refuses: the day waits in the dead letter instead of booking VAT elsewhere
    LEFT JOIN map_voucher_vat_accounts a ON a.vat_rate = l.vat_rate
    WHERE l.tax_cents <> 0 GROUP BY ALL
), sums AS (
    SELECT member, sum(cents) AS cents FROM rows GROUP BY member
), every_row AS (
    SELECT m.*, r.account, r.vat_rate, r.cents
    FROM wf_voucher_members m JOIN rows r USING (member)
    UNION ALL
    SELECT m.*, m.payment_account, NULL, m.money_cents FROM wf_voucher_members m
    UNION ALL
    SELECT m.*, s.round_off_account, NULL, -(m.money_cents + coalesce(x.cents, 0))
    FROM wf_voucher_members m JOIN map_settings s ON true LEFT JOIN sums x USING (member)
)
SELECT (SELECT shop FROM map_settings) AS shop, order_id, member, voucher_date, payment_method, account, vat_rate,
       CAST(wf_amount(sum(cents)) AS DECIMAL(18, 2)) AS amount
FROM every_row
GROUP BY ALL
HAVING sum(cents) <> 0;

-- 3. What each day's vouchers must hold: the members of the orders outside the scope as built before, and the
-- scope's as built now; every payment method on the day's voucher (payment_method '': the key names none).
CREATE OR REPLACE TEMP VIEW wf_voucher_target AS
SELECT member, voucher_date, '' AS payment_method, account, amount FROM deltas.voucher_lines
WHERE shop = (SELECT shop FROM map_settings) AND order_id NOT IN (SELECT order_id FROM wf_scope)
UNION ALL
SELECT member, voucher_date, '' AS payment_method, account, amount FROM wf_new_voucher_lines;

-- A day whose voucher is in the ledger without the rows Fortnox answered is not booked again: listed instead.
CREATE OR REPLACE TABLE deltas.daily_voucher_held AS
SELECT (SELECT shop FROM map_settings) AS shop, voucher_date, fortnox_number,
       'voucher ' || fortnox_number || ' (' || source_key || ') is in the ledger without its rows in '
       || 'ledger.fortnox_documents, which the sink stores with every voucher: the day is not booked again; compare '
       || 'it with Fortnox by hand' AS detail
FROM wf_ledger_vouchers('daily_voucher') WHERE document IS NULL;

-- 4. One voucher per day whose accounts differ from its vouchers in Fortnox.
CREATE OR REPLACE TABLE deltas.daily_voucher_delta AS
WITH members AS (
    SELECT voucher_date, count(DISTINCT member) AS members FROM wf_voucher_target GROUP BY ALL
), v AS (
    SELECT c.voucher_date, c.n, wf_voucher_rows(c.entries) AS rows,
           'day ' || strftime(c.voucher_date, '%Y-%m-%d') || ' ' || c.n AS source_key, m.members
    FROM wf_voucher_corrections('wf_voucher_target', 'daily_voucher') c
    LEFT JOIN members m USING (voucher_date)
), p AS (
    SELECT v.*, json_object('Voucher', json_object(
               'VoucherSeries', (SELECT voucher_series FROM map_settings),
               'TransactionDate', strftime(v.voucher_date, '%Y-%m-%d'),
               'Description', 'woofort ' || v.source_key,
               'Comments', 'sales and refunds: ' || coalesce(v.members, 0) || ' order(s) and refund(s) '
                           || '(deltas.voucher_lines)'
                           || CASE WHEN v.n > 1 THEN '; correction of the day''s earlier voucher(s)' ELSE '' END,
               'VoucherRows', v.rows)) AS payload
    FROM v
)
SELECT (SELECT shop FROM map_settings) AS shop, p.source_key, 'daily_voucher' AS entity, 'create' AS action,
       p.payload, md5(CAST(p.payload AS VARCHAR)) AS payload_hash, CAST(NULL AS BIGINT) AS order_id,
       CAST(NULL AS VARCHAR) AS ref_entity, CAST(NULL AS VARCHAR) AS ref_source_key,
       p.voucher_date, p.members
FROM p
ORDER BY p.voucher_date;
