-- Validation frame of staging.orders for $shop: the order plus the DECIMAL sums the contract compares it with
-- (summed here in DuckDB, exactly): Σ total and Σ total_tax of its line items, shipping and fee lines, and
-- Σ (tax_total + shipping_tax_total) of its tax lines; taxed_line_count bounds the drift of line taxes that
-- WooCommerce rounds per line for display (taxes[].total 1.125 -> total_tax "1.13") while total_tax is rounded once.
SELECT
    o.*,
    coalesce(l.lines_total, 0)::DECIMAL(18, 6) AS lines_total,
    coalesce(l.lines_tax, 0)::DECIMAL(18, 6) AS lines_tax,
    coalesce(l.line_count, 0) AS line_count,
    coalesce(l.taxed_line_count, 0) AS taxed_line_count,
    coalesce(t.tax_lines_total, 0)::DECIMAL(18, 6) AS tax_lines_total,
    coalesce(t.tax_line_count, 0) AS tax_line_count
FROM staging.orders o
LEFT JOIN (
    SELECT order_id, sum(total) AS lines_total, sum(total_tax) AS lines_tax, count(*) AS line_count,
           count(*) FILTER (WHERE total_tax <> 0) AS taxed_line_count
    FROM staging.order_lines WHERE shop = $shop GROUP BY order_id
) l USING (order_id)
LEFT JOIN (
    SELECT order_id, sum(tax_total + shipping_tax_total) AS tax_lines_total, count(*) AS tax_line_count
    FROM staging.order_tax_lines WHERE shop = $shop GROUP BY order_id
) t USING (order_id)
WHERE o.shop = $shop
