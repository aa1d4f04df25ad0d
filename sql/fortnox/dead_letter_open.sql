-- The open dead letters of one entity, for the sink run's cache (engine/ledger.py): the hash of the rejected
-- delta row, or NULL when the record is to be sent once more although its payload is the same: a dead letter
-- from before migration 024 (no hash), or one whose upstream documents (e.g. the invoice's customer or article)
-- were synced after the rejection. Params: shop, entity, upstream entities (list)
SELECT d.source_key,
       CASE WHEN EXISTS (SELECT 1 FROM ledger.documents l
                         WHERE l.shop = d.shop AND list_contains(?, l.entity) AND l.synced_at > d.last_failed_at)
            THEN NULL ELSE d.payload_hash END AS waits_on,
       d.payload_hash
FROM ledger.dead_letter d
WHERE d.shop = ? AND d.entity = ? AND d.status = 'open'
