-- Quarantine bookkeeping for the batch of $entity / $shop, from stg_records (record_key, reason, payload,
-- fetched_at) left by the entity's staging SQL: a record that staged is removed from quarantine; a record that
-- did not is (re)quarantined with its latest raw JSON and reason. An unchanged payload keeps its row as is (status
-- and quarantined_at), so re-running a batch changes nothing; a new bad version re-opens the row.

DELETE FROM quarantine.records
WHERE shop = $shop AND entity = $entity
  AND record_key IN (SELECT record_key FROM stg_records WHERE reason IS NULL);

INSERT INTO quarantine.records AS q (shop, entity, record_key, reason, payload, fetched_at, quarantined_at, status)
SELECT $shop, $entity, record_key, reason, payload, fetched_at, now(), 'open'
FROM stg_records
WHERE reason IS NOT NULL
ON CONFLICT (shop, entity, record_key) DO UPDATE SET
    status = CASE WHEN q.payload::VARCHAR = excluded.payload::VARCHAR THEN q.status ELSE 'open' END,
    quarantined_at = CASE WHEN q.payload::VARCHAR = excluded.payload::VARCHAR THEN q.quarantined_at ELSE excluded.quarantined_at END,
    reason = excluded.reason,
    payload = excluded.payload,
    fetched_at = excluded.fetched_at;
