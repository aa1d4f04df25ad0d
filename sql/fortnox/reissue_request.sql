-- An operator's re-issue of booked invoices (`woofort reissue ORDER...`, job reissue_orders): recorded against
-- the invoice's current number, so the request is spent once the order has a new one. Returns the orders whose
-- invoice is booked and was recorded. Params: shop, [order ids as text]
INSERT INTO ledger.reissue_requests (shop, source_key, fortnox_number)
SELECT d.shop, d.source_key, d.fortnox_number
FROM ledger.documents d
WHERE d.shop = ? AND d.entity = 'invoice' AND list_contains(?, d.source_key)
  AND d.fortnox_number IS NOT NULL AND d.booked AND d.status <> 'cancelled'
ON CONFLICT DO NOTHING
RETURNING source_key, fortnox_number
