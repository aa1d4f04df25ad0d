-- Open dead letters of one entity (for the materialization metadata). Params: shop, entity
SELECT source_key, error_code, error_message, attempts
FROM ledger.dead_letter
WHERE shop = ? AND entity = ? AND status = 'open'
ORDER BY source_key
