-- Helpers shared by the delta statements (TEMP: they live on the connection only). Files starting with "_"
-- are not deltas: woofort_assets/defs/deltas/build.py runs them before the delta files that need them.
-- Money arithmetic that needs a division is done in integer cents (HUGEINT): DuckDB divides DECIMALs as
-- DOUBLE, and a DOUBLE never touches money here. Rounding is half away from zero (Fortnox R1, Python
-- ROUND_HALF_UP), see woofort_assets/lib/fortnox_arithmetic.py.

-- An amount in cents (öre), rounded half away from zero to 2 decimals first. DECIMAL(18, 6) is exact for every
-- amount WooCommerce sends (at most 6 decimals, below 10^12) and keeps the arithmetic in 64-bit integers,
-- several times faster than DECIMAL(38, x); a larger value fails the cast instead of being rounded.
CREATE OR REPLACE TEMP MACRO wf_cents(x) AS CAST(round(CAST(x AS DECIMAL(18, 6)), 2) * 100 AS BIGINT);

-- Cents back to DECIMAL(18,2).
CREATE OR REPLACE TEMP MACRO wf_amount(c) AS CAST(CAST(c AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

-- Integer division n/d (d > 0) rounded half away from zero, rounded up (ceil) and down (floor).
CREATE OR REPLACE TEMP MACRO wf_div_half_up(n, d) AS
    CASE WHEN n >= 0 THEN (2 * n + d) // (2 * d) ELSE -((2 * (-n) + d) // (2 * d)) END;
CREATE OR REPLACE TEMP MACRO wf_div_ceil(n, d) AS CASE WHEN n >= 0 THEN (n + d - 1) // d ELSE -((-n) // d) END;
CREATE OR REPLACE TEMP MACRO wf_div_floor(n, d) AS CASE WHEN n >= 0 THEN n // d ELSE -((-n + d - 1) // d) END;

-- WooCommerce's tax of a staged amount at a rate, rounded to öre: in DECIMAL(38, x), since a DECIMAL(18, 6)
-- amount times a DECIMAL(9, 4) rate overflows DECIMAL(18) from about 400,000 SEK.
CREATE OR REPLACE TEMP MACRO wf_tax_at(amount, rate) AS round(CAST(amount AS DECIMAL(38, 6)) * rate * 0.01, 2);

-- A rate or currency unit (at most 6 decimals) in millionths, for exact products and quotients of them.
CREATE OR REPLACE TEMP MACRO wf_micro(x) AS CAST(CAST(x AS DECIMAL(38, 6)) * 1000000 AS HUGEINT);

-- A VAT rate in units of 1/10000 percent: 25 -> 250000, 25.5 -> 255000.
CREATE OR REPLACE TEMP MACRO wf_rate_units(r) AS CAST(CAST(r AS DECIMAL(18, 4)) * 10000 AS HUGEINT);

-- The Fortnox company's VAT model (one row): the latest `woofort fortnox calibrate` measurement of the shop
-- (meta.fortnox_vat_model, migration 032), else the model assumed before any measurement: VAT on each rate's row
-- sum, an exact half öre rounded up (docs/accounting.md §3).
CREATE OR REPLACE TEMP TABLE wf_vat_model AS
SELECT coalesce(any_value(m.vat_rounding), 'per_rate_sum') AS vat_rounding,
       coalesce(any_value(m.half_rounding), 'up') AS half_rounding
FROM (SELECT a.* FROM meta.fortnox_vat_model a, map_settings s WHERE a.shop = s.shop
      ORDER BY a.measured_at DESC LIMIT 1) m;

-- n/d (d > 0) rounded to the nearest integer, a tie to the even one (banker's rounding).
CREATE OR REPLACE TEMP MACRO wf_div_half_even(n, d) AS
    sign(n) * (abs(n) // d + CASE WHEN 2 * (abs(n) % d) > d OR (2 * (abs(n) % d) = d AND (abs(n) // d) % 2 = 1)
                                  THEN 1 ELSE 0 END);

-- A VAT amount n/d in cents, rounded as the company's Fortnox rounds a half öre (wf_vat_model.half_rounding).
CREATE OR REPLACE TEMP MACRO wf_div_vat(n, d) AS
    CASE WHEN (SELECT half_rounding FROM wf_vat_model) = 'even' THEN wf_div_half_even(n, d)
         ELSE wf_div_half_up(n, d) END;

-- Fortnox's VAT of an amount `a` (cents: a row, or the per-rate sum of a document's rows) (fortnox_arithmetic R5):
-- net rows (VATIncluded false): round(a * r / 100); gross rows (VATIncluded true): a - round(a / (1 + r/100)).
CREATE OR REPLACE TEMP MACRO wf_vat(a, ru, gross) AS
    CASE WHEN gross THEN a - wf_div_vat(a * 1000000, 1000000 + ru)
         ELSE wf_div_vat(a * ru, 1000000) END;

-- Fortnox's VAT at one rate of a document whose rows at that rate sum to `a`, whose rows' own VATs sum to `rv`,
-- plus a VAT rounding row of `x` (cents): the VAT of the sum, or (per_row) of each row.
CREATE OR REPLACE TEMP MACRO wf_rate_vat(a, rv, x, ru, gross) AS
    CASE WHEN (SELECT vat_rounding FROM wf_vat_model) = 'per_row' THEN rv + wf_vat(x, ru, gross)
         ELSE wf_vat(a + x, ru, gross) END;

-- The VAT rounding row `x` that makes wf_rate_vat equal `t` (first guess; the exact value is searched around it
-- by wf_vat_rounding): per rate sum the sum a + x carries t, per row the row x alone carries t - rv.
CREATE OR REPLACE TEMP MACRO wf_vat_base_guess(a, rv, t, ru, gross) AS
    CASE WHEN ru = 0 THEN 0
         WHEN (SELECT vat_rounding FROM wf_vat_model) = 'per_row'
             THEN CASE WHEN gross THEN wf_div_half_up((t - rv) * (1000000 + ru), ru)
                       ELSE wf_div_half_up((t - rv) * 1000000, ru) END
         WHEN gross THEN wf_div_half_up(t * (1000000 + ru), ru) - a
         ELSE wf_div_half_up(t * 1000000, ru) - a END;

-- Per document and VAT rate of the rows in table `rows_table` (doc, vat_rate, rate_units, gross, amount_cents,
-- tax_cents, account, type_order, line_id): Fortnox's VAT of the rows (wf_rate_vat) and the smallest VAT rounding
-- amount x (cents) that makes it equal WooCommerce's tax at that rate (0 when it already does); the account of the
-- rate's first row. Invoices (_orders.sql step 3) and credit notes (credit_delta.sql) round alike.
CREATE OR REPLACE TEMP MACRO wf_vat_rounding(rows_table) AS TABLE
WITH g AS (
    SELECT doc, vat_rate, any_value(rate_units) AS ru, any_value(gross) AS gross,
           sum(amount_cents) AS a, sum(wf_vat(amount_cents, rate_units, gross)) AS rv, sum(tax_cents) AS t,
           count(*) AS n_rows,
           arg_min(account, CAST(type_order AS BIGINT) * 1000000000 + line_id) AS account
    FROM query_table(rows_table)
    WHERE vat_rate IS NOT NULL
    GROUP BY doc, vat_rate
),
-- only the groups whose VAT does not already match search the candidates around the guess
need AS (
    SELECT * FROM g WHERE wf_rate_vat(a, rv, 0, ru, gross) <> t
),
best AS (
    SELECT n.doc, n.vat_rate, arg_min(c.x, abs(c.x) * 2 + CASE WHEN c.x < 0 THEN 1 ELSE 0 END) AS x
    FROM need n,
         LATERAL (SELECT wf_vat_base_guess(n.a, n.rv, n.t, n.ru, n.gross) + k.range AS x FROM range(-100, 101) k) c
    WHERE n.ru > 0 AND wf_rate_vat(n.a, n.rv, c.x, n.ru, n.gross) = n.t
      -- per-line rounding moves WooCommerce's tax by at most half an öre per row: a larger gap is a wrong rate
      AND 2 * abs(c.x) * n.ru <= (n.n_rows + 2) * 1000000
    GROUP BY ALL
)
SELECT g.*, coalesce(b.x, 0) AS x, wf_rate_vat(g.a, g.rv, 0, g.ru, g.gross) <> g.t AND b.x IS NULL AS vat_unmatched,
       wf_rate_vat(g.a, g.rv, coalesce(b.x, 0), g.ru, g.gross) AS fortnox_vat
FROM g LEFT JOIN best b USING (doc, vat_rate);

-- A normalised e-mail address (NULL when empty).
CREATE OR REPLACE TEMP MACRO wf_email(e) AS nullif(lower(trim(e)), '');

-- The Fortnox CustomerNumber of an order's buyer (docs/accounting.md "Customer numbers").
CREATE OR REPLACE TEMP MACRO wf_customer_number(customer_id, email, order_id) AS
    CASE WHEN customer_id > 0 THEN (SELECT registered_prefix FROM map_settings) || customer_id::VARCHAR
         WHEN wf_email(email) IS NOT NULL
             THEN (SELECT guest_email_prefix FROM map_settings) || upper(left(md5(wf_email(email)), 12))
         ELSE (SELECT guest_order_prefix FROM map_settings) || order_id::VARCHAR END;

-- The country whose VAT applies to an order: where the goods go (shipping), else the billing country, else home.
CREATE OR REPLACE TEMP MACRO wf_tax_country(shipping_country, billing_country) AS
    upper(coalesce(nullif(trim(shipping_country), ''), nullif(trim(billing_country), ''),
                   (SELECT home_country FROM map_settings)));

-- sweden | eu_consumer (OSS) | eu_business (reverse charge) | export (docs/accounting.md "Regions and VAT numbers").
-- In the EU the VAT WooCommerce charged decides before the address: tax charged at home-country rates only
-- (wf_charged_home) is a Swedish sale (a shop under the EU distance-sales threshold). Reverse charge needs a
-- valid VAT number of another member state (foreign_vat_number) and no tax charged. Outside the EU any VAT
-- charged is an anomaly the mapping has no export account for, so the order is listed.
CREATE OR REPLACE TEMP MACRO wf_region(tax_country, foreign_vat_number, total_tax, charged_home) AS
    CASE WHEN tax_country = (SELECT home_country FROM map_settings) THEN 'sweden'
         WHEN tax_country IN (SELECT country FROM map_eu_countries)
             THEN CASE WHEN total_tax <> 0 AND charged_home THEN 'sweden'
                       WHEN foreign_vat_number AND total_tax = 0 THEN 'eu_business'
                       ELSE 'eu_consumer' END
         ELSE 'export' END;

-- Fortnox customer VATType of a region.
CREATE OR REPLACE TEMP MACRO wf_vat_type(region) AS
    CASE region WHEN 'sweden' THEN 'SEVAT' WHEN 'eu_consumer' THEN 'EUVAT' WHEN 'eu_business' THEN 'EUREVERSEDVAT'
                ELSE 'EXPORT' END;

-- What an invoice sold, as a digest of its JSON (`inv`: the Invoice object as sent, or as Fortnox holds it):
-- currency, VAT included or not, the rate of a foreign currency, and every row's VAT rate and amount
-- (Price x DeliveredQuantity - Discount), in no particular order; with_accounts adds each row's account.
-- Descriptions, article numbers, customer and address fields are not in it: changing them changes nothing sold.
CREATE OR REPLACE TEMP MACRO wf_row_amount(r) AS
    coalesce(TRY_CAST(json_extract_string(r, '$.Price') AS DECIMAL(18, 2)), 0)
    * coalesce(TRY_CAST(json_extract_string(r, '$.DeliveredQuantity') AS DECIMAL(18, 2)), 0)
    - coalesce(TRY_CAST(json_extract_string(r, '$.Discount') AS DECIMAL(18, 2)), 0);
CREATE OR REPLACE TEMP MACRO wf_sold_digest(inv, with_accounts) AS md5(concat_ws('|',
    upper(coalesce(json_extract_string(inv, '$.Currency'), 'SEK')),
    lower(coalesce(json_extract_string(inv, '$.VATIncluded'), 'false')),
    CASE WHEN upper(coalesce(json_extract_string(inv, '$.Currency'), 'SEK')) <> 'SEK'
         THEN CAST(TRY_CAST(json_extract_string(inv, '$.CurrencyRate') AS DECIMAL(18, 6)) AS VARCHAR) END,
    array_to_string(list_sort(list_transform(json_extract(inv, '$.InvoiceRows[*]'), r -> concat_ws(':',
        CAST(TRY_CAST(json_extract_string(r, '$.VAT') AS DECIMAL(9, 2)) AS VARCHAR),
        CAST(CAST(wf_row_amount(r) AS DECIMAL(18, 2)) AS VARCHAR),
        CASE WHEN with_accounts THEN json_extract_string(r, '$.AccountNumber') END))), ';')));

-- Largest remainder (Hamilton): integer `total` (cents) split over the non-negative integer `weights` in
-- proportion, each part rounded down and the öre left over given one each to the largest remainders (ties: the
-- earlier element). All of it to the first element when every weight is 0. Splits a charge taxed at several rates
-- by the goods' net per rate, and a refund of it as the invoice split it (docs/accounting.md §3).
CREATE OR REPLACE TEMP MACRO wf_apportion_rest(total, w, ws) AS total * w - wf_div_floor(total * w, ws) * ws;
CREATE OR REPLACE TEMP MACRO wf_apportion(total, weights) AS
    CASE WHEN coalesce(list_sum(weights), 0) = 0
         THEN list_transform(weights, (w, i) -> CASE WHEN i = 1 THEN CAST(total AS HUGEINT) ELSE 0 END)
         ELSE list_transform(weights, (w, i) -> CAST(wf_div_floor(total * w, list_sum(weights))
              + CASE WHEN len(list_filter(weights, (v, j) ->
                                  wf_apportion_rest(total, v, list_sum(weights)) > wf_apportion_rest(total, w, list_sum(weights))
                                  OR (wf_apportion_rest(total, v, list_sum(weights)) = wf_apportion_rest(total, w, list_sum(weights))
                                      AND j < i)))
                          < total - list_sum(list_transform(weights, v -> wf_div_floor(total * v, list_sum(weights))))
                     THEN 1 ELSE 0 END AS HUGEINT)) END;

-- A VAT rate as written in a text: 25, 25.5, 0.
CREATE OR REPLACE TEMP MACRO wf_rate_text(r) AS regexp_replace(CAST(CAST(r AS DECIMAL(9, 4)) AS VARCHAR), '\.?0+$', '');

-- A row's VAT in a payload: a whole rate as an integer (the invoice row's VAT is int32 in Fortnox's spec), a
-- non-whole one (FI 25.5, FR 5.5, IE 13.5) as the decimal number it is, written from its text, never a float; the
-- sink books an invoice with such a row through an order (an order row's VAT is a decimal: docs/accounting.md §3).
CREATE OR REPLACE TEMP MACRO wf_row_vat(r) AS
    CASE WHEN r = round(r, 0) THEN to_json(CAST(r AS INTEGER)) ELSE json(wf_rate_text(r)) END;

-- Whether an OSS rate of a country may be booked on an invoice date (mapping rates with from/to; 0 % always).
CREATE OR REPLACE TEMP MACRO wf_oss_rate_valid(cc, rate, day) AS
    rate = 0 OR EXISTS (SELECT 1 FROM map_oss_rates v
                        WHERE v.country = cc AND v.vat_rate = rate
                          AND day BETWEEN coalesce(v.valid_from, DATE '0001-01-01')
                                      AND coalesce(v.valid_to, DATE '9999-12-31'));

-- The vouchers woofort composes are keyed `<word> <day> <method> <n>` (fee_voucher_delta) or `<word> <day> <n>`
-- (daily_voucher_delta: every method on one voucher; payment_method is then ''): the books of a day (and method)
-- are the sum of its vouchers in Fortnox, and the next voucher of the day books the difference. wf_ledger_vouchers: the ledger's vouchers of an entity, with the rows Fortnox answered
-- (NULL: in the ledger but not mirrored); wf_voucher_sums: what they hold per account, debit positive.
CREATE OR REPLACE TEMP MACRO wf_ledger_vouchers(entity_name) AS TABLE
SELECT CAST(regexp_extract(d.source_key, '^\S+ (\d{4}-\d{2}-\d{2}) ', 1) AS DATE) AS voucher_date,
       regexp_extract(d.source_key, '^\S+ \S+ (.+) \d+$', 1) AS payment_method,
       d.source_key, d.fortnox_number, f.document
FROM ledger.documents d
JOIN map_settings s ON d.shop = s.shop
LEFT JOIN ledger.fortnox_documents f ON f.shop = d.shop AND f.kind = 'voucher' AND f.number = d.fortnox_number
WHERE d.entity = entity_name AND d.fortnox_number IS NOT NULL;

CREATE OR REPLACE TEMP MACRO wf_voucher_sums(entity_name) AS TABLE
SELECT voucher_date, payment_method, CAST(json_extract_string(r, '$.Account') AS INTEGER) AS account,
       sum(CAST(json_extract_string(r, '$.Debit') AS DECIMAL(18, 2))
           - CAST(json_extract_string(r, '$.Credit') AS DECIMAL(18, 2))) AS amount
FROM (SELECT voucher_date, payment_method, unnest(json_extract(document, '$.VoucherRows[*]')) AS r
      FROM wf_ledger_vouchers(entity_name) WHERE document IS NOT NULL)
GROUP BY ALL;

-- Per day and method whose vouchers in Fortnox differ from what they must hold in all (`target_table`: voucher_date,
-- payment_method, account, amount): the next voucher's number of the day `n` and its `entries` (account, amount,
-- debit positive). A day with a voucher not mirrored is not booked again (the delta lists it instead); a day not
-- over yet (run_clock.voucher_days_before, vouchers.book_after) waits, so it is booked once, not every run.
CREATE OR REPLACE TEMP MACRO wf_voucher_corrections(target_table, entity_name) AS TABLE
WITH vouchers AS (
    FROM wf_ledger_vouchers(entity_name)
), diff AS (
    SELECT coalesce(t.voucher_date, b.voucher_date) AS voucher_date,
           coalesce(t.payment_method, b.payment_method) AS payment_method, coalesce(t.account, b.account) AS account,
           coalesce(t.amount, 0) - coalesce(b.amount, 0) AS amount
    FROM (SELECT voucher_date, payment_method, account, sum(amount) AS amount
          FROM query_table(target_table) GROUP BY ALL) t
    FULL JOIN wf_voucher_sums(entity_name) b USING (voucher_date, payment_method, account)
)
SELECT d.voucher_date, d.payment_method,
       1 + (SELECT count(*) FROM vouchers v
            WHERE v.voucher_date = d.voucher_date AND v.payment_method = d.payment_method) AS n,
       list({'account': d.account, 'amount': CAST(d.amount AS DECIMAL(18, 2))} ORDER BY d.account) AS entries
FROM diff d
WHERE d.amount <> 0 AND d.voucher_date < (SELECT voucher_days_before FROM run_clock)
  AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.voucher_date = d.voucher_date
                  AND v.payment_method = d.payment_method AND v.document IS NULL)
GROUP BY d.voucher_date, d.payment_method;

-- A voucher's rows from its entries: debit or credit by the sign.
CREATE OR REPLACE TEMP MACRO wf_voucher_rows(entries) AS
    list_transform(entries, e -> json_object('Account', e.account,
                                             'Debit', CAST(greatest(e.amount, 0) AS DECIMAL(18, 2)),
                                             'Credit', CAST(greatest(-e.amount, 0) AS DECIMAL(18, 2))));
