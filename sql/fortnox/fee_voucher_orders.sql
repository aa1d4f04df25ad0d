-- The orders behind one fee voucher, for the file attached to it (kinds/vouchers.py): those of the day and method
-- its key `fee <day> <method> <n>` names (every voucher of the day, a correction too, lists the whole day).
-- Params: shop, source_key
SELECT order_id, fee FROM deltas.fee_voucher_orders
WHERE shop = ? AND 'fee ' || strftime(fee_date, '%Y-%m-%d') || ' ' || payment_method || ' ' = rtrim(?, '0123456789')
ORDER BY order_id
