-- A Fortnox document as Fortnox answered it (reconciliation mirror, sql/migrations/020_reconciliation.sql).
-- Params: shop, kind, number, document (JSON text), source
INSERT INTO ledger.fortnox_documents (shop, kind, number, document, source, fetched_at)
VALUES (?, ?, ?, ?, ?, now())
ON CONFLICT (shop, kind, number) DO UPDATE SET
    document = EXCLUDED.document,
    source = EXCLUDED.source,
    fetched_at = EXCLUDED.fetched_at
