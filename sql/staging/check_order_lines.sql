-- Validation frame of staging.order_lines for $shop: each line, whether its order is staged, and whether its
-- tax class is known ('' / 'standard' = the standard class; unknown classes cannot be judged while
-- staging.tax_classes is empty for the shop).
SELECT
    l.*,
    l.order_id IN (SELECT order_id FROM staging.orders WHERE shop = $shop) AS order_exists,
    (coalesce(l.tax_class, '') IN ('', 'standard')
     OR l.tax_class IN (SELECT slug FROM staging.tax_classes WHERE shop = $shop)
     OR NOT EXISTS (SELECT 1 FROM staging.tax_classes WHERE shop = $shop)) AS tax_class_known
FROM staging.order_lines l
WHERE l.shop = $shop
