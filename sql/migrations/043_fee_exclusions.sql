-- deltas.fee_exclusions exists before the first build of deltas/fee_voucher_delta (which replaces it), so that the
-- reconciliation's fee check (sql/reconciliation/fees.sql) can read it on a database whose fees were never built.
CREATE TABLE IF NOT EXISTS deltas.fee_exclusions (shop VARCHAR, order_id BIGINT, payment_method VARCHAR,
                                                  fee_date DATE, reason VARCHAR, detail VARCHAR);
