-- An operator's retry: the dead letters are cleared, so the next sync's sink sends the records again.
-- Params: shop, entity, source keys (list)
DELETE FROM ledger.dead_letter WHERE shop = ? AND entity = ? AND list_contains(?, source_key)
