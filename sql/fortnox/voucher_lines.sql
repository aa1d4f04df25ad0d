-- The members behind one daily voucher, for the file attached to it (kinds/vouchers.py): the rows each order and
-- refund of the day and method its key `day <day> <method> <n>` names adds (a correction lists the whole day too).
-- Params: shop, source_key
SELECT member, account, coalesce(CAST(CAST(vat_rate AS DOUBLE) AS VARCHAR), ''), amount FROM deltas.voucher_lines
WHERE shop = ? AND 'day ' || strftime(voucher_date, '%Y-%m-%d') || ' ' || payment_method || ' ' = rtrim(?, '0123456789')
ORDER BY order_id, member, account
