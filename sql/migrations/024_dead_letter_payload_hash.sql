-- A dead letter remembers the hash of the delta row Fortnox rejected (issue 13, item 7): the sink sends a rejected
-- document again only when its payload changed, when a document it depends on was synced after the rejection, or
-- when an operator retries it (`woofort deadletter retry`, which deletes the dead letter). A bookkeep rejection
-- stores 'bookkeep:<document number>'. Dead letters written before this migration have no hash: they are sent
-- once more, and that rejection stores the hash.
ALTER TABLE ledger.dead_letter ADD COLUMN payload_hash VARCHAR;
