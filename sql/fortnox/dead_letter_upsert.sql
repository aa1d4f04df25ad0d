-- A record Fortnox rejected (4xx): its code, message, payload and the hash of the delta row that was rejected.
-- Sent again only when that hash changes, a document it depends on syncs, or an operator retries
-- (dead_letter_open.sql, steps.send). Params: shop, entity, source_key, error_code, error_message, http_status,
-- payload, payload_hash
INSERT INTO ledger.dead_letter AS d (shop, entity, source_key, error_code, error_message, http_status, payload,
                                     payload_hash, attempts, first_failed_at, last_failed_at, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, now(), now(), 'open')
ON CONFLICT (shop, entity, source_key) DO UPDATE SET
    error_code = EXCLUDED.error_code,
    error_message = EXCLUDED.error_message,
    http_status = EXCLUDED.http_status,
    payload = EXCLUDED.payload,
    payload_hash = EXCLUDED.payload_hash,
    attempts = CASE WHEN status = 'open' THEN attempts + 1 ELSE 1 END,
    first_failed_at = CASE WHEN status = 'open' THEN first_failed_at ELSE EXCLUDED.first_failed_at END,
    last_failed_at = EXCLUDED.last_failed_at,
    status = 'open'
