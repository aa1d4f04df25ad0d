-- After Fortnox answered (or a lookup found the document): synced | adopted, with the document number,
-- the hash of the payload now in Fortnox, whether it is booked, and (invoices) the digests of what was sold
-- (money_hash) and on which accounts (accounts_hash), migration 025.
-- Params: shop, entity, source_key, fortnox_number, payload_hash, status, booked, order_id, money_hash, accounts_hash
INSERT INTO ledger.documents AS d (shop, entity, source_key, fortnox_number, payload_hash, status, booked,
                                   order_id, money_hash, accounts_hash, synced_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
ON CONFLICT (shop, entity, source_key) DO UPDATE SET
    fortnox_number = EXCLUDED.fortnox_number,
    payload_hash = EXCLUDED.payload_hash,
    status = EXCLUDED.status,
    booked = EXCLUDED.booked,
    order_id = coalesce(EXCLUDED.order_id, order_id),
    money_hash = EXCLUDED.money_hash,
    accounts_hash = EXCLUDED.accounts_hash,
    synced_at = EXCLUDED.synced_at
