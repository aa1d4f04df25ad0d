-- deltas.fee_voucher_delta: the fees payment providers keep, one voucher per paid day and payment method
-- (docs/accounting.md §15). Needs the map_* tables; reads staging.orders, ledger.documents and
-- ledger.fortnox_documents. Also writes deltas.fee_voucher_orders (which orders a voucher's day holds) and
-- deltas.fee_exclusions (orders of a method with a fee mapping whose fee is not booked, with the reason).
--
-- The day's voucher books what WooCommerce's meta says minus what the vouchers already in Fortnox hold, per
-- account: a first voucher books the day, a fee changed later (a refund's fee returned, a late order) gets a
-- correction voucher with the difference, never an edit. Its key `fee <day> <method> <n>` counts the day's
-- vouchers in Fortnox, so a voucher whose outcome is unknown keeps its key and is looked up before it is sent
-- again; one Fortnox refused keeps its key and waits in the dead letter until its amounts change.

-- 1. Per order paid through a method with a fee mapping, on or after the start date and the method's from_date:
-- the fee under the first of its meta keys, and its currency (the currency meta key's value, else the order's).
CREATE OR REPLACE TEMP VIEW wf_fee_paid AS
SELECT o.* FROM staging.orders o
JOIN map_settings s ON o.shop = s.shop
JOIN (SELECT DISTINCT payment_method, from_date FROM map_payment_fees) f ON f.payment_method = o.payment_method
WHERE o.date_paid IS NOT NULL
  AND CAST(o.date_paid AS DATE) >= greatest(s.start_date, coalesce(f.from_date, s.start_date));

CREATE OR REPLACE TEMP TABLE wf_fee_meta AS
WITH meta AS (
    SELECT o.order_id, o.payment_method, CAST(o.date_paid AS DATE) AS fee_date, upper(o.currency) AS order_currency,
           unnest(json_extract(o.meta_data, '$[*]')) AS m
    FROM wf_fee_paid o
    WHERE json_type(o.meta_data) = 'ARRAY'
), entries AS (
    SELECT m.order_id, m.payment_method, m.fee_date, m.order_currency, json_extract_string(m.m, '$.key') AS key,
           nullif(trim(json_extract_string(m.m, '$.value')), '') AS value
    FROM meta m
)
SELECT e.order_id, any_value(e.payment_method) AS payment_method, any_value(e.fee_date) AS fee_date,
       arg_min(e.value, f.priority) FILTER (WHERE e.key = f.meta_key) AS fee_text,
       coalesce(upper(max(e.value) FILTER (WHERE e.key = f.currency_meta_key)), any_value(e.order_currency))
           AS fee_currency
FROM entries e JOIN map_payment_fees f ON f.payment_method = e.payment_method
WHERE e.key = f.meta_key OR e.key = f.currency_meta_key
GROUP BY e.order_id;

CREATE OR REPLACE TEMP TABLE wf_fee_orders AS
SELECT o.order_id, o.payment_method, CAST(o.date_paid AS DATE) AS fee_date, m.fee_text,
       coalesce(m.fee_currency, upper(o.currency)) AS fee_currency, TRY_CAST(m.fee_text AS DECIMAL(18, 6)) AS fee,
       CASE WHEN m.fee_text IS NULL THEN 'no_fee_recorded'
            WHEN TRY_CAST(m.fee_text AS DECIMAL(18, 6)) IS NULL THEN 'fee_not_a_number'
            WHEN TRY_CAST(m.fee_text AS DECIMAL(18, 6)) < 0 THEN 'fee_negative'
            WHEN coalesce(m.fee_currency, upper(o.currency)) <> 'SEK' THEN 'fee_currency_not_sek' END AS reason
FROM wf_fee_paid o
LEFT JOIN wf_fee_meta m ON m.order_id = o.order_id;

CREATE OR REPLACE TABLE deltas.fee_exclusions AS
SELECT (SELECT shop FROM map_settings) AS shop, order_id, payment_method, fee_date, reason,
       CASE reason WHEN 'no_fee_recorded' THEN 'none of the mapping''s fee meta keys is on the order'
                   WHEN 'fee_currency_not_sek' THEN 'the fee is in ' || fee_currency || ', vouchers are in SEK'
                   ELSE 'fee meta value ' || fee_text END AS detail
FROM wf_fee_orders WHERE reason IS NOT NULL
ORDER BY order_id;

CREATE OR REPLACE TABLE deltas.fee_voucher_orders AS
SELECT (SELECT shop FROM map_settings) AS shop, fee_date, payment_method, order_id,
       CAST(round(fee, 2) AS DECIMAL(18, 2)) AS fee
FROM wf_fee_orders WHERE reason IS NULL
ORDER BY fee_date, payment_method, order_id;

-- 2. What the day's vouchers must hold in all, per account (debit positive): the fee on the fee account against
-- the method's clearing account, with the VAT its treatment asks for (rounded once per day, half away from 0, in
-- integer öre: DuckDB would divide the DECIMALs as DOUBLE and round 8.155 down).
CREATE OR REPLACE TEMP TABLE wf_fee_target AS
WITH days AS (
    SELECT o.fee_date, o.payment_method, sum(fee) AS fee, count(*) AS orders,
           min(o.order_id) AS first_order, max(o.order_id) AS last_order
    FROM deltas.fee_voucher_orders o GROUP BY ALL
), rules AS (
    SELECT DISTINCT ON (payment_method) * FROM map_payment_fees ORDER BY payment_method, priority
), vat AS (
    SELECT d.*, r.*,
           wf_amount(CASE r.vat WHEN 'swedish' THEN wf_div_half_up(wf_cents(d.fee) * wf_rate_units(r.vat_rate),
                                                                   1000000 + wf_rate_units(r.vat_rate))
                                WHEN 'reverse_charge' THEN wf_div_half_up(wf_cents(d.fee) * wf_rate_units(r.vat_rate),
                                                                          1000000)
                                ELSE 0 END) AS vat_amount
    FROM days d JOIN rules r USING (payment_method)
)
SELECT v.fee_date, v.payment_method, v.orders, v.first_order, v.last_order, a.account,
       CAST(a.amount AS DECIMAL(18, 2)) AS amount
FROM vat v,
     LATERAL (VALUES (v.fee_account, v.fee - CASE v.vat WHEN 'swedish' THEN v.vat_amount ELSE 0 END),
                     (v.input_vat_account, CASE WHEN v.vat <> 'exempt' THEN v.vat_amount ELSE 0 END),
                     (v.output_vat_account, CASE WHEN v.vat = 'reverse_charge' THEN -v.vat_amount ELSE 0 END),
                     (v.clearing_account, -v.fee)) AS a(account, amount);

-- 3. What the day's vouchers in Fortnox hold, per account, read from the vouchers as Fortnox answered them. A
-- day with a voucher in the ledger but not in the mirror is not booked again: it is listed instead.
CREATE OR REPLACE TEMP TABLE wf_fee_booked_vouchers AS
SELECT voucher_date AS fee_date, * EXCLUDE (voucher_date) FROM wf_ledger_vouchers('fee_voucher');

INSERT INTO deltas.fee_exclusions
SELECT DISTINCT (SELECT shop FROM map_settings), o.order_id, o.payment_method, o.fee_date,
       'voucher_not_mirrored', 'voucher ' || b.fortnox_number || ' (' || b.source_key || ') is in the ledger '
       || 'without its rows in ledger.fortnox_documents, which the sink stores with every voucher: the day is not '
       || 'booked again; compare it with Fortnox by hand'
FROM wf_fee_booked_vouchers b
JOIN deltas.fee_voucher_orders o ON o.fee_date = b.fee_date AND o.payment_method = b.payment_method
WHERE b.document IS NULL;

-- 4. One voucher per day and method whose accounts differ: the difference, debit or credit by its sign.
CREATE OR REPLACE TEMP VIEW wf_fee_target_sums AS
SELECT fee_date AS voucher_date, payment_method, account, amount FROM wf_fee_target;

CREATE OR REPLACE TABLE deltas.fee_voucher_delta AS
WITH v AS (
    SELECT c.voucher_date AS fee_date, c.payment_method, c.n, wf_voucher_rows(c.entries) AS rows,
           list_sum(list_transform(list_filter(c.entries, e -> e.account = f.clearing_account), e -> e.amount))
               AS clearing,
           'fee ' || strftime(c.voucher_date, '%Y-%m-%d') || ' ' || c.payment_method || ' ' || c.n AS source_key,
           t.orders, t.first_order, t.last_order
    FROM wf_voucher_corrections('wf_fee_target_sums', 'fee_voucher') c
    JOIN (SELECT DISTINCT payment_method, clearing_account FROM map_payment_fees) f USING (payment_method)
    LEFT JOIN (SELECT DISTINCT fee_date, payment_method, orders, first_order, last_order
               FROM wf_fee_target) t ON t.fee_date = c.voucher_date AND t.payment_method = c.payment_method
), p AS (
    SELECT v.*, json_object('Voucher', json_object(
               'VoucherSeries', (SELECT voucher_series FROM map_settings),
               'TransactionDate', strftime(v.fee_date, '%Y-%m-%d'),
               'Description', 'woofort ' || v.source_key,
               'Comments', CASE WHEN v.orders IS NULL THEN 'no order of the day has a fee any more'
                                ELSE 'fees of ' || v.orders || ' order(s), ids ' || v.first_order || '-'
                                     || v.last_order || ' (deltas.fee_voucher_orders)' END
                           || CASE WHEN v.n > 1 THEN '; correction of the day''s earlier voucher(s)' ELSE '' END,
               'VoucherRows', v.rows)) AS payload
    FROM v
)
SELECT (SELECT shop FROM map_settings) AS shop, p.source_key, 'fee_voucher' AS entity, 'create' AS action,
       p.payload, md5(CAST(p.payload AS VARCHAR)) AS payload_hash, CAST(NULL AS BIGINT) AS order_id,
       CAST(NULL AS VARCHAR) AS ref_entity, CAST(NULL AS VARCHAR) AS ref_source_key,
       p.fee_date, p.payment_method, CAST(-p.clearing AS DECIMAL(18, 2)) AS fee
FROM p
ORDER BY p.fee_date, p.payment_method;
