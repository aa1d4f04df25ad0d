-- Fortnox sink: dry-run payload preview (written only by runs with dry_run: true).
CREATE TABLE ledger.dry_run_payloads (
    run_id VARCHAR NOT NULL,          -- Dagster run id of the dry run
    shop VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,          -- ledger entity (article, price, customer, invoice, ...)
    source_key VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- what a real run would do: create | update | reissue | cancel | credit | bookkeep | set_stock | lookup
    method VARCHAR,                   -- HTTP method a real run would send (null: no write planned)
    path VARCHAR,                     -- request path; '{InvoiceNumber}' style placeholders when the number is resolved at send time
    payload JSON,                     -- request body a real run would send
    note VARCHAR,                     -- why (e.g. "ledger: synced, payload changed", "reference not yet in ledger")
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
