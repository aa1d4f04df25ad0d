-- Reconciliation: the Fortnox side of the books, mirrored into DuckDB (docs/accounting.md §12).
-- ledger.fortnox_documents holds the full JSON of every Fortnox document woofort owns, as Fortnox answered it:
-- written by the sink from the answers it already receives (POST/PUT of invoices, credit invoices, payments),
-- and by the fortnox/mirror asset for documents whose answer it never saw (full credits answered with the
-- original, adoptions, changes made in Fortnox since). Keyed by the Fortnox number, not by the WooCommerce key:
-- a duplicate invoice for one order is two rows here.
CREATE SCHEMA IF NOT EXISTS reconciliation;

CREATE TABLE ledger.fortnox_documents (
    shop VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,            -- invoice (customer and credit invoices) | invoice_payment
    number VARCHAR NOT NULL,          -- DocumentNumber | payment Number
    document JSON NOT NULL,           -- the inner object of Fortnox's answer ({"Invoice": {...}} -> {...})
    source VARCHAR NOT NULL,          -- response (the sink's write answer) | lookup | get (fortnox/mirror)
    fetched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, kind, number)
);

-- One row per fortnox/mirror run: the next run lists only what Fortnox changed since (lastmodified).
CREATE TABLE ledger.fortnox_mirror_runs (
    shop VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    listed INTEGER NOT NULL,          -- list items read (invoices + payments)
    fetched INTEGER NOT NULL,         -- documents read one by one (GET)
    api_calls INTEGER NOT NULL
);
