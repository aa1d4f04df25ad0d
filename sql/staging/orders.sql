-- raw.orders -> staging.orders, staging.order_lines (line_item | shipping | fee), staging.order_coupon_lines,
-- staging.order_tax_lines for the batch ($shop, $run_id).
-- Every order the batch touches is re-read at its latest version across all raw rows of its id
-- (date_modified_gmt, then fetched_at); an order that cannot be parsed is quarantined (quarantine.sql)
-- and removed from staging, the others replace their staging rows. Needs _macros.sql.

-- 1. The latest version of every order key the batch touches, parsed once into a struct of JSON values.
CREATE OR REPLACE TEMP TABLE stg_orders_latest AS
SELECT * FROM wc_latest_parsed('raw.orders', $shop, $run_id, '{
    "id": "JSON", "parent_id": "JSON", "number": "JSON", "order_key": "JSON", "created_via": "JSON",
    "status": "JSON", "currency": "JSON", "prices_include_tax": "JSON",
    "date_created": "JSON", "date_created_gmt": "JSON", "date_modified": "JSON", "date_modified_gmt": "JSON",
    "date_paid": "JSON", "date_paid_gmt": "JSON", "date_completed": "JSON", "date_completed_gmt": "JSON",
    "discount_total": "JSON", "discount_tax": "JSON", "shipping_total": "JSON", "shipping_tax": "JSON",
    "cart_tax": "JSON", "total": "JSON", "total_tax": "JSON", "customer_id": "JSON", "customer_note": "JSON",
    "billing": "JSON", "shipping": "JSON", "payment_method": "JSON", "payment_method_title": "JSON",
    "transaction_id": "JSON", "meta_data": "JSON", "line_items": "JSON", "shipping_lines": "JSON",
    "fee_lines": "JSON", "coupon_lines": "JSON", "tax_lines": "JSON"}');

-- 2. Line items, shipping lines and fee lines, typed, each with its own reasons.
CREATE OR REPLACE TEMP TABLE stg_order_lines_src AS
SELECT * FROM wc_sale_lines('stg_orders_latest', 'order');

-- 3. Coupon lines.
CREATE OR REPLACE TEMP TABLE stg_order_coupon_lines_src AS
SELECT
    record_key, type_order, idx, line_id, wc_text(x.code) AS code, wc_text(x.discount_type) AS discount_type,
    wc_money(x.discount) AS discount, wc_money(x.discount_tax) AS discount_tax,
    wc_money(x.nominal_amount) AS nominal_amount,
    wc_reasons(concat_ws('; ', head_reason, wc_str_reason(x.code, p || 'code'),
        wc_money_reason(x.discount, p || 'discount'), wc_money_reason(x.discount_tax, p || 'discount_tax'),
        unique_reason)) AS reason
FROM wc_list_lines('stg_orders_latest', 'coupon_lines', '{"id": "JSON", "code": "JSON", "discount": "JSON",
    "discount_tax": "JSON", "discount_type": "JSON", "nominal_amount": "JSON"}', 'order');

-- 4. Tax lines.
CREATE OR REPLACE TEMP TABLE stg_order_tax_lines_src AS
SELECT
    record_key, type_order, idx, line_id, wc_int(x.rate_id) AS rate_id, wc_text(x.rate_code) AS rate_code,
    wc_text(x.label) AS label, wc_bool(x.compound) AS compound,
    wc_money(x.tax_total) AS tax_total, wc_money(x.shipping_tax_total) AS shipping_tax_total,
    TRY_CAST(trim(wc_text(x.rate_percent)) AS DECIMAL(9, 4)) AS rate_percent,
    wc_reasons(concat_ws('; ', head_reason, wc_money_reason(x.tax_total, p || 'tax_total'),
        wc_money_reason(x.shipping_tax_total, p || 'shipping_tax_total'), unique_reason)) AS reason
FROM wc_list_lines('stg_orders_latest', 'tax_lines', '{"id": "JSON", "rate_id": "JSON", "rate_code": "JSON",
    "label": "JSON", "compound": "JSON", "tax_total": "JSON", "shipping_tax_total": "JSON",
    "rate_percent": "JSON"}', 'order');

-- 5. Orders, typed, with the reasons of the order and of its lines.
CREATE OR REPLACE TEMP TABLE stg_records AS
-- An order whose money does not add up is quarantined here, with the figures, so that it cannot stop the
-- rest of the shop at the blocking contract check. WooCommerce rounds each line's tax for display but the
-- order's tax once: half an öre per taxed line is rounding, more is a broken order (as the contract says).
WITH line_sums AS (
    SELECT record_key, sum(total) AS lines_total, sum(total_tax) AS lines_tax,
           greatest(count(*) FILTER (WHERE total_tax <> 0), 1) AS taxed_lines
    FROM stg_order_lines_src GROUP BY record_key
),
tax_sums AS (
    SELECT record_key, sum(tax_total + shipping_tax_total) AS taxes
    FROM stg_order_tax_lines_src GROUP BY record_key
),
money_reasons AS (
    SELECT o.record_key, concat_ws('; ',
        CASE WHEN wc_money(s.total) < 0 THEN 'total: ' || wc_money(s.total) || ' is negative' END,
        CASE WHEN abs(wc_money(s.total) - ls.lines_total - ls.lines_tax) >= 0.005
              AND abs(wc_money(s.total) - ls.lines_total - wc_money(s.total_tax)) >= 0.005
             THEN 'total: ' || wc_money(s.total) || ' is not the sum of its lines, shipping, fees and taxes ('
                  || (ls.lines_total + ls.lines_tax) || ')' END,
        CASE WHEN abs(ls.lines_tax - wc_money(s.total_tax)) > 0.005 * ls.taxed_lines
             THEN 'line taxes: ' || ls.lines_tax || ' differ from total_tax ' || wc_money(s.total_tax)
                  || ' by more than rounding' END,
        CASE WHEN ts.taxes IS NOT NULL AND abs(wc_money(s.total_tax) - ts.taxes) >= 0.005
             THEN 'total_tax: ' || wc_money(s.total_tax) || ' is not the sum of tax_lines (' || ts.taxes || ')'
             WHEN ts.taxes IS NULL AND wc_money(s.total_tax) <> 0
             THEN 'total_tax: ' || wc_money(s.total_tax) || ' has no tax_lines' END,
        CASE WHEN wc_ts(s.date_created_gmt) > now()::TIMESTAMP + INTERVAL 1 DAY
             THEN 'date_created_gmt: ' || wc_ts(s.date_created_gmt) || ' is in the future' END
    ) AS reason
    FROM stg_orders_latest o
    JOIN line_sums ls USING (record_key)
    LEFT JOIN tax_sums ts USING (record_key)
    WHERE o.payload_type = 'OBJECT'
)
SELECT
    o.record_key, o.payload, o.fetched_at,
    wc_record_reason(o.payload, o.payload_type, concat_ws('; ',
        wc_id_reason(s.id, 'id'),
        wc_ref_reason(s.parent_id, 'parent_id'),
        wc_str_reason(s.status, 'status'),
        wc_str_reason(s.currency, 'currency'),
        wc_bool_reason(s.prices_include_tax, 'prices_include_tax'),
        wc_dates_reason(s, true, true),
        wc_opt_ts_reason(s.date_paid, 'date_paid'), wc_opt_ts_reason(s.date_paid_gmt, 'date_paid_gmt'),
        wc_opt_ts_reason(s.date_completed, 'date_completed'),
        wc_opt_ts_reason(s.date_completed_gmt, 'date_completed_gmt'),
        wc_money_reason(s.discount_total, 'discount_total'), wc_money_reason(s.discount_tax, 'discount_tax'),
        wc_money_reason(s.shipping_total, 'shipping_total'), wc_money_reason(s.shipping_tax, 'shipping_tax'),
        wc_money_reason(s.cart_tax, 'cart_tax'), wc_money_reason(s.total, 'total'),
        wc_money_reason(s.total_tax, 'total_tax'),
        wc_ref_reason(s.customer_id, 'customer_id'),
        wc_sale_lists_reason(s, true),
        wc_array_reason(s.coupon_lines, 'coupon_lines', false),
        wc_array_reason(s.tax_lines, 'tax_lines', false),
        lr.reason, cr.reason, tr.reason,
        -- the money rules only make sense once every amount has parsed
        CASE WHEN lr.reason IS NULL AND tr.reason IS NULL AND wc_money(s.total) IS NOT NULL
                  AND wc_money(s.total_tax) IS NOT NULL THEN nullif(mr.reason, '') END
    )) AS reason,
    wc_int(s.id) AS order_id,
    wc_int(s.parent_id) AS parent_id,
    wc_text(s.number) AS number,
    wc_text(s.order_key) AS order_key,
    wc_text(s.created_via) AS created_via,
    wc_text(s.status) AS status,
    upper(trim(wc_text(s.currency))) AS currency,  -- repair: ISO 4217 codes are upper case ('sek' -> 'SEK')
    wc_bool(s.prices_include_tax) AS prices_include_tax,
    unnest(wc_dates(s)),
    wc_ts(s.date_paid) AS date_paid,
    wc_ts(s.date_paid_gmt) AS date_paid_gmt,
    wc_ts(s.date_completed) AS date_completed,
    wc_ts(s.date_completed_gmt) AS date_completed_gmt,
    wc_money(s.discount_total) AS discount_total,
    wc_money(s.discount_tax) AS discount_tax,
    wc_money(s.shipping_total) AS shipping_total,
    wc_money(s.shipping_tax) AS shipping_tax,
    wc_money(s.cart_tax) AS cart_tax,
    wc_money(s.total) AS total,
    wc_money(s.total_tax) AS total_tax,
    coalesce(wc_int(s.customer_id), 0) AS customer_id,
    wc_text(s.customer_note) AS customer_note,
    unnest(wc_addresses(s.billing, s.shipping)),
    wc_text(s.payment_method) AS payment_method,
    wc_text(s.payment_method_title) AS payment_method_title,
    wc_text(s.transaction_id) AS transaction_id,
    TRY_CAST(coalesce(wc_meta(s.meta_data, '_base_currency_exchange_rate'),
                      wc_meta(s.meta_data, '_wcpbc_base_exchange_rate')) AS DECIMAL(18, 6)) AS currency_rate,
    s.meta_data AS meta_data
FROM stg_orders_latest o
LEFT JOIN wc_lines_reason('stg_order_lines_src') lr USING (record_key)
LEFT JOIN wc_lines_reason('stg_order_coupon_lines_src') cr USING (record_key)
LEFT JOIN wc_lines_reason('stg_order_tax_lines_src') tr USING (record_key)
LEFT JOIN money_reasons mr USING (record_key);

-- 6. Replace the staging rows of every touched order (quarantined orders leave staging).
DELETE FROM staging.order_lines WHERE shop = $shop
    AND order_id IN (SELECT order_id FROM stg_records WHERE order_id > 0);

DELETE FROM staging.order_coupon_lines WHERE shop = $shop
    AND order_id IN (SELECT order_id FROM stg_records WHERE order_id > 0);

DELETE FROM staging.order_tax_lines WHERE shop = $shop
    AND order_id IN (SELECT order_id FROM stg_records WHERE order_id > 0);

DELETE FROM staging.orders WHERE shop = $shop
    AND order_id IN (SELECT order_id FROM stg_records WHERE order_id > 0);

INSERT INTO staging.orders BY NAME SELECT * FROM wc_staged('stg_records', $shop);

INSERT INTO staging.order_lines BY NAME
SELECT $shop AS shop, o.order_id, l.line_id, l.line_type, l.name, l.product_id, l.variation_id, l.sku,
       l.quantity, l.tax_class, l.tax_status, l.price, l.subtotal, l.subtotal_tax, l.total, l.total_tax,
       l.tax_rate_ids, l.tax_totals, l.method_id, l.meta_data
FROM stg_order_lines_src l JOIN stg_records o USING (record_key)
WHERE o.reason IS NULL;

INSERT INTO staging.order_coupon_lines BY NAME
SELECT $shop AS shop, o.order_id, c.line_id, c.code, c.discount, c.discount_tax, c.discount_type, c.nominal_amount
FROM stg_order_coupon_lines_src c JOIN stg_records o USING (record_key)
WHERE o.reason IS NULL;

INSERT INTO staging.order_tax_lines BY NAME
SELECT $shop AS shop, o.order_id, t.line_id, t.rate_id, t.rate_code, t.label, t.compound, t.tax_total,
       t.shipping_tax_total, t.rate_percent
FROM stg_order_tax_lines_src t JOIN stg_records o USING (record_key)
WHERE o.reason IS NULL;
