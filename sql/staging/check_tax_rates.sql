-- Validation frame of staging.tax_rates for $shop, with whether the rate's class is a known tax class.
SELECT
    t.*,
    (t.tax_class = 'standard'
     OR t.tax_class IN (SELECT slug FROM staging.tax_classes WHERE shop = $shop)
     OR NOT EXISTS (SELECT 1 FROM staging.tax_classes WHERE shop = $shop)) AS tax_class_known
FROM staging.tax_rates t
WHERE t.shop = $shop
