-- Which of the given source keys have a dead letter. Params: shop, entity, source keys (list)
SELECT source_key FROM ledger.dead_letter WHERE shop = ? AND entity = ? AND list_contains(?, source_key)
