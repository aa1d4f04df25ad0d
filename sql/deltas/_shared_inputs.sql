-- The inputs besides the mapping (map_* tables, hashed by scope.py) that any order's deltas may read, each as a row
-- count and a sum of row hashes: a change to one of them makes the next build price every order. Needs
-- _macros.sql and _articles.sql. Params: shop
SELECT 'vat_model' AS input, count(*) AS n, sum(hash(m)) AS h FROM wf_vat_model m
UNION ALL
SELECT 'articles', count(*), sum(hash(a.product_id, a.variation_id, a.article_number, a.is_service)) FROM wf_articles a
UNION ALL
SELECT 'tax_rates', count(*), sum(hash(t)) FROM staging.tax_rates t WHERE t.shop = $shop
UNION ALL
SELECT 'tax_classes', count(*), sum(hash(t)) FROM staging.tax_classes t WHERE t.shop = $shop
UNION ALL
SELECT 'currency_register', count(*), sum(hash(r.currency, r.rate_date, r.rate, r.unit))
FROM ledger.fortnox_currency_rates r WHERE r.shop = $shop
UNION ALL
SELECT 'vies_answers', count(*), sum(hash(v.number, v.valid, v.detail, CAST(v.asked_at AS DATE)))
FROM ledger.vies_checks v
ORDER BY input
