-- The orders whose Fortnox documents the payments sink settles (deltas.settlement_orders, payment_delta.sql).
-- Params: shop
SELECT order_id, paid, mode_of_payment, mode_account, clearing_mode, clearing_account
FROM deltas.settlement_orders
WHERE shop = ?
ORDER BY order_id
