-- Validation frame of staging.refunds for $shop: each refund, whether its order is staged, and the DECIMAL sum
-- of its lines (total + total_tax, negative as WooCommerce sends them).
SELECT
    r.*,
    r.order_id IN (SELECT order_id FROM staging.orders WHERE shop = $shop) AS order_exists,
    coalesce(l.lines_total, 0)::DECIMAL(18, 6) AS lines_total,
    coalesce(l.line_count, 0) AS line_count
FROM staging.refunds r
LEFT JOIN (
    SELECT refund_id, sum(total + total_tax) AS lines_total, count(*) AS line_count
    FROM staging.refund_lines WHERE shop = $shop GROUP BY refund_id
) l USING (refund_id)
WHERE r.shop = $shop
