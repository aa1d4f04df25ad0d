-- An operator's skip: the records stay out of every delta the sink reads (delta_select.sql).
-- Params: shop, entity, source keys (list)
UPDATE ledger.dead_letter SET status = 'skipped' WHERE shop = ? AND entity = ? AND list_contains(?, source_key)
