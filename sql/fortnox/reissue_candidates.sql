-- The ledger's invoice of each order an operator named: number, booked, status. Params: shop, [order ids as text]
SELECT source_key, fortnox_number, booked, status
FROM ledger.documents
WHERE shop = ? AND entity = 'invoice' AND list_contains(?, source_key)
