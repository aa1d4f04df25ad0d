-- The running sums the per-day reconciliation tables are derived from (sql/reconciliation/_days.sql), and the
-- per-document rows a build adds to and subtracts from them. Declared here so that the first build, which writes
-- them all (CREATE OR REPLACE ... AS), can already name them; until it has, they are empty and no build is complete.
CREATE TABLE IF NOT EXISTS reconciliation.day_buckets (
    shop VARCHAR, side VARCHAR, doc VARCHAR, kind VARCHAR, order_id BIGINT, day DATE, currency VARCHAR,
    rate DECIMAL(18, 6), vat_rate DECIMAL(9, 4), n_rows HUGEINT, net_cents HUGEINT, vat_cents HUGEINT,
    vat_rounding_cents HUGEINT);
CREATE TABLE IF NOT EXISTS reconciliation.day_documents (
    shop VARCHAR, side VARCHAR, doc VARCHAR, kind VARCHAR, order_id BIGINT, day DATE, currency VARCHAR,
    rate DECIMAL(18, 6), gross_cents HUGEINT, is_set_aside BOOLEAN, roundoff_cents HUGEINT);
CREATE TABLE reconciliation.day_rate_sums (
    shop VARCHAR, day DATE, currency VARCHAR, vat_rate DECIMAL(9, 4), n BIGINT, woo_docs BIGINT, fx_docs BIGINT,
    woo_net HUGEINT, woo_vat HUGEINT, fx_net HUGEINT, fx_vat HUGEINT, fx_vat_rounding HUGEINT, woo_net_sek HUGEINT,
    woo_vat_sek HUGEINT, fx_net_sek HUGEINT, fx_vat_sek HUGEINT, bound_rows HUGEINT);
CREATE TABLE reconciliation.day_currency_sums (
    shop VARCHAR, day DATE, currency VARCHAR, w_n BIGINT, w_cur HUGEINT, w_sek HUGEINT, f_n BIGINT, f_cur HUGEINT,
    f_sek HUGEINT, f_roundoff HUGEINT);
CREATE TABLE reconciliation.day_sums (
    shop VARCHAR, day DATE, n BIGINT, orders BIGINT, refunds BIGINT, set_aside BIGINT, w_sek HUGEINT,
    set_aside_sek HUGEINT, invoiced BIGINT, credits BIGINT, f_sek HUGEINT, f_roundoff_sek HUGEINT, excluded BIGINT);
