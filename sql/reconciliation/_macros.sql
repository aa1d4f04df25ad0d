-- Helpers of the reconciliation (TEMP macros on the connection). Deliberately its own copies, not
-- sql/deltas/_macros.sql: the books check must not share a mistake with the code it checks (issue #13 item 8).
-- Only unit conversions and Fortnox's own VAT-of-a-sum (to read Fortnox's rows as Fortnox does); no pricing,
-- VAT splitting or rounding rows of woofort's. Money in integer cents (HUGEINT), never DOUBLE.

-- An amount in cents (öre), rounded half away from zero to 2 decimals first.
CREATE OR REPLACE TEMP MACRO rc_cents(x) AS CAST(round(CAST(x AS DECIMAL(18, 6)), 2) * 100 AS BIGINT);

-- Cents back to DECIMAL(18,2).
CREATE OR REPLACE TEMP MACRO rc_amount(c) AS CAST(CAST(c AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

-- Integer division n/d (d > 0) rounded half away from zero, and rounded up.
CREATE OR REPLACE TEMP MACRO rc_div_half_up(n, d) AS
    CASE WHEN n >= 0 THEN (2 * n + d) // (2 * d) ELSE -((2 * (-n) + d) // (2 * d)) END;
CREATE OR REPLACE TEMP MACRO rc_div_ceil(n, d) AS CASE WHEN n >= 0 THEN (n + d - 1) // d ELSE -((-n) // d) END;

-- A VAT rate in units of 1/10000 percent: 25 -> 250000.
CREATE OR REPLACE TEMP MACRO rc_rate_units(r) AS CAST(CAST(r AS DECIMAL(18, 4)) * 10000 AS HUGEINT);

-- Fortnox's VAT of the per-rate sum `a` (cents) of a document's rows (fortnox_arithmetic R5): net rows
-- round2(a * r / 100), gross rows a - round2(a / (1 + r/100)). This is how Fortnox reads its own rows, kept here
-- separately from the deltas' wf_vat on purpose (the deltas use theirs to build rows; a change there must show
-- up here as a difference, not silently move both sides). Also "the VAT included in a gross amount" on the
-- WooCommerce side for refunds WooCommerce records without tax (gross = true).
CREATE OR REPLACE TEMP MACRO rc_vat(a, ru, gross) AS
    CASE WHEN gross THEN a - rc_div_half_up(a * 1000000, 1000000 + ru)
         ELSE rc_div_half_up(a * ru, 1000000) END;

-- SEK of a document-currency amount in cents at a document's rate, half-up to öre.
CREATE OR REPLACE TEMP MACRO rc_sek(cents, rate) AS CAST(round(CAST(cents AS DECIMAL(38, 0)) * rate, 0) AS HUGEINT);
