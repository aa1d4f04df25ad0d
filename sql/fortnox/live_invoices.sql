-- Invoices live in Fortnox (not cancelled nor fully credited), with the order's staged status.
-- Params: shop
SELECT TRY_CAST(d.source_key AS BIGINT), d.fortnox_number, s.status
FROM ledger.documents d
LEFT JOIN staging.orders s ON s.shop = d.shop AND CAST(s.order_id AS VARCHAR) = d.source_key
WHERE d.shop = ? AND d.entity = 'invoice' AND d.status IN ('synced', 'adopted') AND d.fortnox_number IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ledger.documents c WHERE c.shop = d.shop AND c.entity = 'credit_invoice'
                  AND c.source_key = 'order-' || d.source_key AND c.status IN ('synced', 'adopted'))
