-- invoicing.mode daily_vouchers, for `woofort sync`'s summary: per day of deltas.voucher_lines, its orders and
-- refunds and whether the day is over (its voucher is booked from vouchers.book_after the next day).
-- Params: $shop, $days_before (the first day not over; NULL: none waits).
SELECT voucher_date AS day, count(DISTINCT member) AS members,
       coalesce(voucher_date >= CAST($days_before AS DATE), false) AS waiting
FROM deltas.voucher_lines
WHERE shop = $shop
GROUP BY voucher_date
ORDER BY voucher_date
