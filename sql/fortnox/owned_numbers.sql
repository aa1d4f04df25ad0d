-- The Fortnox numbers of the invoices, credit invoices and payments woofort owns (for the reconciliation
-- mirror): one row per ledger document plus, for a reissue, the voided original. Params: shop
SELECT CASE WHEN entity = 'invoice_payment' THEN 'invoice_payment' ELSE 'invoice' END AS kind, fortnox_number
FROM ledger.documents
WHERE shop = $shop AND entity IN ('invoice', 'credit_invoice', 'invoice_reissue', 'invoice_payment')
  AND fortnox_number IS NOT NULL AND status <> 'failed'
UNION
SELECT 'invoice', split_part(source_key, '#', -1)
FROM ledger.documents
WHERE shop = $shop AND entity = 'invoice_reissue' AND contains(source_key, '#') AND status <> 'failed'
