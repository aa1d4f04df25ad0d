-- Before a write is sent: status pending, attempts + 1. Committed before the HTTP call, so a crash or a lost
-- answer leaves a row that tells the next run to look the document up before resending.
-- Params: shop, entity, source_key, fortnox_number (known for updates/actions, null for creates), order_id
INSERT INTO ledger.documents AS d (shop, entity, source_key, fortnox_number, status, attempts, order_id,
                                   first_attempt_at, last_attempt_at)
VALUES (?, ?, ?, ?, 'pending', 1, ?, now(), now())
ON CONFLICT (shop, entity, source_key) DO UPDATE SET
    status = 'pending',
    fortnox_number = EXCLUDED.fortnox_number,
    attempts = attempts + 1,
    order_id = coalesce(EXCLUDED.order_id, order_id),
    first_attempt_at = coalesce(first_attempt_at, EXCLUDED.first_attempt_at),
    last_attempt_at = EXCLUDED.last_attempt_at
