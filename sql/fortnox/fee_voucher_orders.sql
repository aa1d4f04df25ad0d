-- The orders behind one fee voucher's day and method, for the file attached to the voucher (kinds/vouchers.py).
-- Params: shop, fee_date, payment_method
SELECT order_id, fee FROM deltas.fee_voucher_orders
WHERE shop = ? AND fee_date = CAST(? AS DATE) AND payment_method = ?
ORDER BY order_id
