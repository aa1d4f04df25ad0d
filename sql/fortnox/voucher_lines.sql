-- What one day's voucher holds, for the file attached to it (kinds/vouchers.py): the rows each order and refund of
-- the day its key `day <day> <n>` names adds (a correction's file lists the day as it is then).
-- Params: shop, source_key
SELECT member, payment_method, account, coalesce(CAST(CAST(vat_rate AS DOUBLE) AS VARCHAR), ''), amount
FROM deltas.voucher_lines
WHERE shop = ? AND voucher_date = CAST(regexp_extract(?, '^day (\S+) ', 1) AS DATE)
ORDER BY order_id, member, payment_method, account
