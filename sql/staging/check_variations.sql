-- Validation frame of staging.variations for $shop, with whether the tax class is known ('parent' = the
-- product's class) and whether the parent product is staged.
SELECT
    v.*,
    (coalesce(v.tax_class, '') IN ('', 'standard', 'parent')
     OR v.tax_class IN (SELECT slug FROM staging.tax_classes WHERE shop = $shop)
     OR NOT EXISTS (SELECT 1 FROM staging.tax_classes WHERE shop = $shop)) AS tax_class_known,
    v.product_id IN (SELECT product_id FROM staging.products WHERE shop = $shop) AS product_exists
FROM staging.variations v
WHERE v.shop = $shop
