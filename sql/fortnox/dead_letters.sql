-- The dead-letter list: every question about dead letters (the sink's open ones per entity, the operator's
-- list, the sensor's count) is this query. Newest first. Params: $shop, $status ('all' for every status),
-- $entity (NULL for every entity)
SELECT entity, source_key, status, error_code, error_message, http_status, attempts, last_failed_at
FROM ledger.dead_letter
WHERE shop = $shop AND ($status = 'all' OR status = $status) AND ($entity IS NULL OR entity = $entity)
ORDER BY last_failed_at DESC, entity, source_key
