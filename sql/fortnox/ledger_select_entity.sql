-- Every ledger row of one entity of one shop (loaded once per sink asset, kept in memory).
SELECT source_key, status, fortnox_number, payload_hash, booked, attempts, order_id
FROM ledger.documents
WHERE shop = ? AND entity = ?
