-- What the reconciliation tables were last built from (issue #16, woofort_assets/defs/reconciliation/scope.py):
-- its own change detection, apart from the deltas' (deltas.order_inputs) because it audits them. A digest of each
-- staged order's inputs as the reconciliation reads them (its staged rows, ledger documents, open dead letters,
-- exclusion rows), a digest and the reference of each Fortnox document (ExternalInvoiceReference1 of an invoice,
-- InvoiceNumber of a payment: which order it belongs to, without reading every document's JSON again), and per
-- shop the digest of everything shared (mapping, tax rates, VAT model, customer and article dead letters, the
-- reconciliation's code) with which the tables were complete. A build replaces only the rows of the orders whose
-- digest changed or whose Fortnox documents did; a changed shared digest, or a build that did not finish (no row
-- in builds), rebuilds every table.
CREATE TABLE reconciliation.order_inputs (shop VARCHAR NOT NULL, order_id BIGINT NOT NULL, digest UBIGINT NOT NULL);
CREATE TABLE reconciliation.document_inputs (shop VARCHAR NOT NULL, kind VARCHAR NOT NULL, number VARCHAR NOT NULL,
                                             digest UBIGINT NOT NULL, ref VARCHAR);
CREATE TABLE reconciliation.builds (shop VARCHAR NOT NULL, shared_digest VARCHAR NOT NULL,
                                    built_at TIMESTAMPTZ NOT NULL, orders_reconciled BIGINT NOT NULL,
                                    full_build BOOLEAN NOT NULL);
