-- Puts a row back after a write whose outcome is known not to have changed Fortnox (rejected, auth lost):
-- status failed for a create, the previous status for an update. Params: status, shop, entity, source_key
UPDATE ledger.documents SET status = ?
WHERE shop = ? AND entity = ? AND source_key = ?
