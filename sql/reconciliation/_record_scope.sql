-- After a build in which every reconciliation table was written: what the scope's orders and the changed Fortnox
-- documents were built from (sql/reconciliation/_scope.sql), and the shared digest the tables are now complete for.
DELETE FROM reconciliation.order_inputs WHERE shop = $shop AND ($full OR order_id IN (SELECT order_id FROM rc_scope));

INSERT INTO reconciliation.order_inputs (shop, order_id, digest)
SELECT $shop, d.order_id, d.digest FROM rc_order_digests d WHERE $full OR d.order_id IN (SELECT order_id FROM rc_scope);

DELETE FROM reconciliation.document_inputs i
WHERE i.shop = $shop AND ($full OR EXISTS (SELECT 1 FROM rc_doc_changes c WHERE c.kind = i.kind AND c.number = i.number));

INSERT INTO reconciliation.document_inputs (shop, kind, number, digest, ref)
SELECT $shop, kind, number, digest, ref FROM rc_doc_changes WHERE digest IS NOT NULL;

DELETE FROM reconciliation.builds WHERE shop = $shop;

INSERT INTO reconciliation.builds (shop, shared_digest, built_at, orders_reconciled, full_build)
SELECT $shop, $shared_digest, now(), count(*), $full FROM rc_scope;
