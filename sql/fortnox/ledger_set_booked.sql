-- The document was booked (bookkeep answered, or a GET showed Booked). Params: booked, shop, entity, source_key
UPDATE ledger.documents SET booked = ?
WHERE shop = ? AND entity = ? AND source_key = ?
