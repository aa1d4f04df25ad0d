-- Documents woofort created that are not booked yet (bookkeep failed or was interrupted): the bookkeep sweep.
-- Params: shop, entity
SELECT source_key, fortnox_number
FROM ledger.documents
WHERE shop = ? AND entity = ? AND status = 'synced' AND NOT booked AND fortnox_number IS NOT NULL
ORDER BY source_key
