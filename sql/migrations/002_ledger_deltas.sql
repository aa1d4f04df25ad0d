-- Deltas are rebuilt by the SQL files in sql/deltas/; the sink reads them.
CREATE SCHEMA IF NOT EXISTS deltas;
CREATE SCHEMA IF NOT EXISTS ledger;

-- One row per Fortnox document woofort is responsible for: the exactly-once memory of the sink.
CREATE TABLE ledger.documents (
    shop VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,          -- article | price | customer | invoice | credit_invoice | invoice_payment | stock
    source_key VARCHAR NOT NULL,      -- stable WooCommerce-side key, e.g. order id, refund id, sku
    fortnox_number VARCHAR,           -- DocumentNumber, CustomerNumber, ArticleNumber, payment Number
    payload_hash VARCHAR,             -- hash of the last payload Fortnox accepted
    status VARCHAR NOT NULL,          -- pending (sent, outcome unknown) | synced | adopted | failed | cancelled
    booked BOOLEAN NOT NULL DEFAULT false,
    attempts INTEGER NOT NULL DEFAULT 0,
    order_id BIGINT,                  -- lineage back to the WooCommerce order, where there is one
    first_attempt_at TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ,
    PRIMARY KEY (shop, entity, source_key)
);

-- Records Fortnox rejected, with its code and message; retried on the next run, never blocking others.
CREATE TABLE ledger.dead_letter (
    shop VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    source_key VARCHAR NOT NULL,
    error_code BIGINT,
    error_message VARCHAR NOT NULL,
    http_status INTEGER,
    payload JSON,
    attempts INTEGER NOT NULL DEFAULT 1,
    first_failed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_failed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status VARCHAR NOT NULL DEFAULT 'open',   -- open | skipped | resolved
    PRIMARY KEY (shop, entity, source_key)
);
