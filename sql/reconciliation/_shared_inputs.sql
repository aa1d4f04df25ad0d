-- What every order's reconciliation may read besides its own rows (woofort_assets/defs/reconciliation/scope.py
-- digests it with the mapping and the code): the shop's tax rates, its measured Fortnox VAT model, and the open
-- dead letters of customers and articles (an order is set aside by its buyer's or an article's).
SELECT 'tax_rates', count(*), sum(hash(t)) FROM staging.tax_rates t WHERE t.shop = $shop
UNION ALL
SELECT 'vat_model', count(*), sum(hash(m)) FROM meta.fortnox_vat_model m WHERE m.shop = $shop
UNION ALL
SELECT 'dead_letters', count(*), sum(hash(dl.entity, dl.source_key, dl.error_code, dl.error_message))
FROM ledger.dead_letter dl
WHERE dl.shop = $shop AND dl.status = 'open' AND dl.entity IN ('customer', 'article')
ORDER BY 1;
