-- reconciliation.fee_days: per paid day and payment method with a fee mapping, the fees the payment plugins
-- stored on WooCommerce's orders against what Fortnox's fee vouchers hold (docs/accounting.md §15). Its own SQL:
-- nothing of sql/deltas/fee_voucher_delta.sql is shared, so that a mistake there shows here.
--   woocommerce  Σ of each order's fee: the value under the first of the mapping's meta keys that the order has
--                (configuration), for the orders paid on or after the start date and the method's from_date,
--                except those
--                deltas.fee_exclusions lists with a reason
--   fortnox      Σ (credit − debit) on the method's account of the vouchers Fortnox answered
--                (ledger.fortnox_documents, kind voucher) whose Description names the day and the method
--   waiting      a day not over yet (vouchers.book_after) without a voucher: not a difference yet
CREATE OR REPLACE TEMP TABLE rc_fee_orders AS
WITH entries AS (
    SELECT o.order_id, o.payment_method, CAST(o.date_paid AS DATE) AS day,
           unnest(json_extract(o.meta_data, '$[*]')) AS e
    FROM staging.orders o
    JOIN map_settings s ON o.shop = s.shop
    JOIN (SELECT DISTINCT payment_method, from_date FROM map_payment_fees) f    -- no fee mapping: nothing is read
      ON f.payment_method = o.payment_method
    WHERE o.date_paid IS NOT NULL AND json_type(o.meta_data) = 'ARRAY'
      AND CAST(o.date_paid AS DATE) >= greatest(s.start_date, coalesce(f.from_date, s.start_date))
)
SELECT e.order_id, any_value(e.payment_method) AS payment_method, any_value(e.day) AS day,
       TRY_CAST(arg_min(json_extract_string(e.e, '$.value'), k.priority) AS DECIMAL(18, 2)) AS fee
FROM entries e
JOIN map_payment_fees k ON k.payment_method = e.payment_method AND k.meta_key = json_extract_string(e.e, '$.key')
WHERE e.order_id NOT IN (SELECT x.order_id FROM deltas.fee_exclusions x, map_settings s WHERE x.shop = s.shop)
GROUP BY e.order_id;

CREATE OR REPLACE TABLE reconciliation.fee_days AS
WITH woo AS (
    SELECT day, payment_method, count(*) AS orders, sum(fee) AS fee FROM rc_fee_orders GROUP BY ALL
), fx AS (
    SELECT v.day, v.payment_method, count(DISTINCT v.number) AS vouchers, -sum(v.amount) AS fee
    FROM rc_voucher_rows('fee') v
    JOIN (SELECT DISTINCT payment_method, clearing_account FROM map_payment_fees) m
      ON m.payment_method = v.payment_method AND m.clearing_account = v.account
    GROUP BY ALL
)
SELECT (SELECT shop FROM map_settings) AS shop, coalesce(w.day, f.day) AS day,
       coalesce(w.payment_method, f.payment_method) AS payment_method, coalesce(w.orders, 0) AS orders,
       coalesce(f.vouchers, 0) AS vouchers, coalesce(w.fee, 0) AS woo_fee, coalesce(f.fee, 0) AS fx_fee,
       coalesce(f.fee, 0) - coalesce(w.fee, 0) AS difference,
       coalesce(f.day IS NULL AND w.day >= (SELECT voucher_days_before FROM run_clock), false) AS waiting
FROM woo w FULL JOIN fx f ON f.day = w.day AND f.payment_method = w.payment_method
ORDER BY day, payment_method;
