-- reconciliation.voucher_days: invoicing.mode daily_vouchers (docs/accounting.md §13), per day and payment account,
-- the money WooCommerce took and paid back for the orders booked by voucher against what the day's vouchers in
-- Fortnox put on the account. Its own SQL: nothing of sql/deltas/daily_voucher_delta.sql is shared, so
-- that a mistake there shows here.
--   woocommerce  Σ order total on its invoice date (invoicing.invoice_date, re-derived from the staged dates) −
--                Σ refund amount on the refund's date (never before the sale), for the orders
--                deltas.invoice_exclusions lists as on_daily_voucher
--                on the account of its payment method (payments.methods, else payments.default)
--   fortnox      Σ (debit − credit) on each payment account of the vouchers Fortnox answered
--                (ledger.fortnox_documents, kind voucher) whose Description names the day
--   waiting      a day not over yet (vouchers.book_after) without a voucher: not a difference yet
CREATE OR REPLACE TEMP TABLE rc_voucher_money AS
WITH orders AS (
    SELECT o.order_id, coalesce(nullif(o.payment_method, ''), 'none') AS payment_method, o.total,
           CAST(CASE s.invoice_date_rule WHEN 'paid' THEN coalesce(o.date_paid, o.date_created)
                                         WHEN 'completed' THEN coalesce(o.date_completed, o.date_created)
                                         ELSE o.date_created END AS DATE) AS day
    FROM staging.orders o
    JOIN map_settings s ON o.shop = s.shop
    WHERE o.order_id IN (SELECT x.order_id FROM deltas.invoice_exclusions x
                         WHERE x.shop = s.shop AND x.reason = 'on_daily_voucher')
)
SELECT day, payment_method, 'order ' || order_id AS member, CAST(total AS DECIMAL(18, 2)) AS money FROM orders
UNION ALL
SELECT greatest(CAST(r.date_created AS DATE), o.day), o.payment_method, 'refund ' || r.refund_id,
       -CAST(r.amount AS DECIMAL(18, 2))
FROM staging.refunds r
JOIN map_settings s ON r.shop = s.shop
JOIN orders o ON o.order_id = r.order_id
WHERE r.amount <> 0;

CREATE OR REPLACE TABLE reconciliation.voucher_days AS
WITH accounts AS (
    SELECT DISTINCT w.payment_method, coalesce(m.account, dm.account) AS account
    FROM (SELECT DISTINCT payment_method FROM rc_voucher_money) w
    LEFT JOIN map_payment_methods m ON m.payment_method = w.payment_method AND NOT m.is_default
    LEFT JOIN map_payment_methods dm ON dm.is_default
), woo AS (
    SELECT w.day, a.account, count(*) AS members, sum(w.money) AS money
    FROM rc_voucher_money w JOIN accounts a USING (payment_method) GROUP BY ALL
), fx AS (
    SELECT day, account, count(DISTINCT number) AS vouchers, sum(amount) AS money
    FROM rc_voucher_rows('day')
    WHERE account IN (SELECT account FROM map_payment_methods)
    GROUP BY ALL
)
SELECT (SELECT shop FROM map_settings) AS shop, coalesce(w.day, f.day) AS day, coalesce(w.account, f.account) AS account,
       coalesce(w.members, 0) AS members, coalesce(f.vouchers, 0) AS vouchers, coalesce(w.money, 0) AS woo_money,
       coalesce(f.money, 0) AS fx_money, coalesce(f.money, 0) - coalesce(w.money, 0) AS difference,
       coalesce(f.day IS NULL AND w.day >= (SELECT voucher_days_before FROM run_clock), false) AS waiting
FROM woo w FULL JOIN fx f ON f.day = w.day AND f.account = w.account
ORDER BY day, account;
