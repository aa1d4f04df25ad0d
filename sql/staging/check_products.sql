-- Validation frame of staging.products for $shop, with whether the tax class is known.
SELECT
    p.*,
    (coalesce(p.tax_class, '') IN ('', 'standard')
     OR p.tax_class IN (SELECT slug FROM staging.tax_classes WHERE shop = $shop)
     OR NOT EXISTS (SELECT 1 FROM staging.tax_classes WHERE shop = $shop)) AS tax_class_known
FROM staging.products p
WHERE p.shop = $shop
