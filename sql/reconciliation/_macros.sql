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

-- The company's VAT model as `woofort fortnox calibrate` last measured it (meta.fortnox_vat_model), else VAT on
-- each rate's row sum with a half öre up. Read here on its own, not from the deltas' wf_vat_model.
CREATE OR REPLACE TEMP TABLE rc_vat_model AS
SELECT coalesce(any_value(m.vat_rounding), 'per_rate_sum') AS vat_rounding,
       coalesce(any_value(m.half_rounding), 'up') AS half_rounding
FROM (SELECT a.* FROM meta.fortnox_vat_model a, map_settings s WHERE a.shop = s.shop
      ORDER BY a.measured_at DESC LIMIT 1) m;

-- n/d (d > 0) to the nearest integer as the company rounds a half öre: up (away from zero) or to the even one.
CREATE OR REPLACE TEMP MACRO rc_div_vat(n, d) AS
    CASE WHEN (SELECT half_rounding FROM rc_vat_model) = 'even'
         THEN sign(n) * (abs(n) // d + CASE WHEN 2 * (abs(n) % d) > d
                                                 OR (2 * (abs(n) % d) = d AND (abs(n) // d) % 2 = 1) THEN 1 ELSE 0 END)
         ELSE rc_div_half_up(n, d) END;

-- Fortnox's VAT of an amount `a` (cents: one row, or the per-rate sum of a document's rows) (fortnox_arithmetic
-- R5): net rows round(a * r / 100), gross rows a - round(a / (1 + r/100)). This is how Fortnox reads its own rows,
-- kept here separately from the deltas' wf_vat on purpose (the deltas use theirs to build rows; a change there
-- must show up here as a difference, not silently move both sides). Also "the VAT included in a gross amount" on
-- the WooCommerce side for refunds WooCommerce records without tax (gross = true).
CREATE OR REPLACE TEMP MACRO rc_vat(a, ru, gross) AS
    CASE WHEN gross THEN a - rc_div_vat(a * 1000000, 1000000 + ru)
         ELSE rc_div_vat(a * ru, 1000000) END;

-- Fortnox's VAT at one rate from its rows' amounts summed (a) and their own VATs summed (rv), per the model.
CREATE OR REPLACE TEMP MACRO rc_rate_vat(a, rv, ru, gross) AS
    CASE WHEN (SELECT vat_rounding FROM rc_vat_model) = 'per_row' THEN rv ELSE rc_vat(a, ru, gross) END;

-- SEK of a document-currency amount in cents at a document's rate, half-up to öre.
CREATE OR REPLACE TEMP MACRO rc_sek(cents, rate) AS CAST(round(CAST(cents AS DECIMAL(38, 0)) * rate, 0) AS HUGEINT);

-- The rows of the vouchers woofort composed, as Fortnox answered them (ledger.fortnox_documents), whose Description
-- `woofort <word> <day> <method> <n>` names the day and the payment method; amount = debit − credit.
CREATE OR REPLACE TEMP MACRO rc_voucher_rows(word) AS TABLE
SELECT CAST(regexp_extract(v.description, '^woofort \S+ (\S+) ', 1) AS DATE) AS day,
       regexp_extract(v.description, '^woofort \S+ \S+ (.+) \d+$', 1) AS payment_method, v.number,
       CAST(json_extract_string(v.r, '$.Account') AS INTEGER) AS account,
       CAST(json_extract_string(v.r, '$.Debit') AS DECIMAL(18, 2))
           - CAST(json_extract_string(v.r, '$.Credit') AS DECIMAL(18, 2)) AS amount
FROM (SELECT f.number, json_extract_string(f.document, '$.Description') AS description,
             unnest(json_extract(f.document, '$.VoucherRows[*]')) AS r
      FROM ledger.fortnox_documents f JOIN map_settings s ON f.shop = s.shop
      WHERE f.kind = 'voucher' AND json_extract_string(f.document, '$.Description') LIKE 'woofort ' || word || ' %') v;
