-- The record synced (or was adopted): its open dead letter is resolved. Params: shop, entity, source_key
UPDATE ledger.dead_letter SET status = 'resolved'
WHERE shop = ? AND entity = ? AND source_key = ? AND status = 'open'
