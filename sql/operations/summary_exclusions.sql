-- What was left out and why, for `woofort sync`'s summary: orders not invoiced (deltas.invoice_exclusions) and
-- paid orders whose payment is not registered (deltas.payment_exclusions), paid orders whose payment-provider fee
-- is not booked (deltas.fee_exclusions), booked invoices kept as they are
-- although the mapping would now put them on other accounts (deltas.invoice_drift: `woofort reissue ORDER` if the
-- accountant decides), each reason with its count and the first order ids. Params: $shop. Columns: (what, reason, orders, first order ids, an example detail).
SELECT 'invoice' AS what, reason, count(*) AS orders, list(order_id ORDER BY order_id)[1:5] AS first_orders,
       min(detail) AS detail
FROM deltas.invoice_exclusions WHERE shop = $shop AND reason <> 'on_daily_voucher' GROUP BY ALL  -- booked: vouchers
UNION ALL
SELECT 'payment', reason, count(DISTINCT order_id), list(DISTINCT order_id ORDER BY order_id)[1:5], min(detail)
FROM deltas.payment_exclusions WHERE shop = $shop GROUP BY ALL
UNION ALL
SELECT 'provider fee', reason, count(*), list(order_id ORDER BY order_id)[1:5], min(detail)
FROM deltas.fee_exclusions WHERE shop = $shop GROUP BY ALL
UNION ALL
SELECT 'booked invoice kept', 'accounts_changed', count(*), list(order_id ORDER BY order_id)[1:5], min(detail)
FROM deltas.invoice_drift WHERE shop = $shop HAVING count(*) > 0
ORDER BY what, orders DESC, reason;
