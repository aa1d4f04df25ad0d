-- After Fortnox answered (or a lookup found the document): synced | adopted, with the document number,
-- the hash of the payload now in Fortnox, and whether it is booked.
-- Params: shop, entity, source_key, fortnox_number, payload_hash, status, booked, order_id
INSERT INTO ledger.documents AS d (shop, entity, source_key, fortnox_number, payload_hash, status, booked,
                                   order_id, synced_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())
ON CONFLICT (shop, entity, source_key) DO UPDATE SET
    fortnox_number = EXCLUDED.fortnox_number,
    payload_hash = EXCLUDED.payload_hash,
    status = EXCLUDED.status,
    booked = EXCLUDED.booked,
    order_id = coalesce(EXCLUDED.order_id, order_id),
    synced_at = EXCLUDED.synced_at
