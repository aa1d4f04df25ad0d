-- Parsing helpers shared by the raw -> staging statements (temporary: they live on the connection only).
--
-- A payload is parsed once per record with json_transform(payload, '{"field": "JSON", ...}'), which gives a
-- STRUCT of small JSON values (absent and null fields become SQL NULL); the macros below take such a value `v`
-- (a JSON scalar, object or array) instead of re-parsing the whole payload for every field.
-- Every *_reason macro returns NULL when the value is acceptable, otherwise one sentence naming the field
-- (`label`, e.g. 'total' or 'line_items[1].quantity') and the bad value, so that the reasons of a record are
-- built in one query with wc_reasons([...]).

-- True when the value is absent or JSON null.
CREATE OR REPLACE TEMP MACRO wc_absent(v) AS coalesce(json_type(v), 'NULL') = 'NULL';

-- A JSON value rendered for a reason: 'abc' for strings, the JSON text otherwise, "missing" when absent/null.
CREATE OR REPLACE TEMP MACRO wc_show(v) AS
    CASE
        WHEN wc_absent(v) THEN 'missing'
        WHEN json_type(v) = 'VARCHAR' THEN '''' || left(json_extract_string(v, '$'), 60) || ''''
        ELSE left(v::VARCHAR, 60)
    END;

-- Scalar text of a string or number (numbers as their JSON text, never through DOUBLE); NULL for anything else
-- (booleans such as sku false, objects, arrays).
CREATE OR REPLACE TEMP MACRO wc_text(v) AS
    CASE WHEN json_type(v) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE') THEN json_extract_string(v, '$') END;

-- An optional text attribute where "" means "none" (sku).
CREATE OR REPLACE TEMP MACRO wc_nstr(v) AS NULLIF(trim(wc_text(v)), '');

-- Any text under a JSON path of a small object (billing.email): strings as is, NULL for null.
CREATE OR REPLACE TEMP MACRO wc_sub(v, path) AS json_extract_string(v, path);

-- A non-negative integer (JSON integer or digit string); NULL otherwise (no rounding of 727.5).
CREATE OR REPLACE TEMP MACRO wc_int(v) AS
    CASE WHEN regexp_full_match(trim(coalesce(wc_text(v), '')), '[0-9]{1,18}') THEN CAST(trim(wc_text(v)) AS BIGINT) END;

-- The record key of a raw payload: its positive `id` as text, or '#' || md5(payload) when the id is unusable.
CREATE OR REPLACE TEMP MACRO wc_record_key(payload) AS
    CASE WHEN wc_int(json_extract(payload, '$.id')) > 0 THEN wc_int(json_extract(payload, '$.id'))::VARCHAR
         ELSE '#' || md5(payload::VARCHAR) END;

-- Booleans: JSON true/false, or "true"/"false"/"1"/"0"/"yes"/"no" strings.
CREATE OR REPLACE TEMP MACRO wc_bool(v) AS
    CASE
        WHEN json_type(v) = 'BOOLEAN' THEN json_extract_string(v, '$') = 'true'
        WHEN lower(trim(wc_text(v))) IN ('yes', 'y') THEN true
        WHEN lower(trim(wc_text(v))) IN ('no', 'n') THEN false
        ELSE TRY_CAST(trim(wc_text(v)) AS BOOLEAN)
    END;

-- Money: decimal strings (or numbers, from their JSON text) -> DECIMAL(18,6); never through DOUBLE. Six decimals:
-- the extraction asks WooCommerce for dp=6 (resources/woocommerce.py), and a line total a store keeps unrounded
-- ("15.936") must reach the deltas exactly.
CREATE OR REPLACE TEMP MACRO wc_money(v) AS TRY_CAST(trim(wc_text(v)) AS DECIMAL(18, 6));

-- A JSON number parsed from its text: line_items[].price 14.309999999999999 -> 14.310000.
CREATE OR REPLACE TEMP MACRO wc_dec6(v) AS TRY_CAST(trim(wc_text(v)) AS DECIMAL(18, 6));

-- Dates: 'YYYY-MM-DDTHH:MM:SS' without zone -> TIMESTAMP; "" and null -> NULL.
CREATE OR REPLACE TEMP MACRO wc_ts(v) AS try_strptime(json_extract_string(v, '$'), '%Y-%m-%dT%H:%M:%S');

-- The value of the first meta_data entry with this key whose value is a non-empty string or number.
CREATE OR REPLACE TEMP MACRO wc_meta(meta, mk) AS
    CASE WHEN json_type(meta) = 'ARRAY' THEN
        list_filter(
            list_transform(
                json_extract(meta, '$[*]'),
                lambda m: CASE WHEN json_extract_string(m, '$.key') = mk
                               THEN NULLIF(trim(wc_text(json_extract(m, '$.value'))), '') END),
            lambda x: x IS NOT NULL)[1]
    END;

-- Tax rate ids of a line: taxes[].id.
CREATE OR REPLACE TEMP MACRO wc_tax_rate_ids(taxes) AS
    CASE WHEN json_type(taxes) = 'ARRAY' THEN
        list_filter(
            list_transform(json_extract(taxes, '$[*].id'), lambda x: TRY_CAST(json_extract_string(x, '$') AS INTEGER)),
            lambda x: x IS NOT NULL)
    END;

-- WooCommerce's tax of a line per rate: taxes[] as (rate_id, total); an entry without a numeric id or total is
-- left out (the line's total_tax is what staging checks; these only split a line taxed at several rates).
CREATE OR REPLACE TEMP MACRO wc_tax_totals(taxes) AS
    CASE WHEN json_type(taxes) = 'ARRAY' THEN
        list_filter(
            list_transform(json_extract(taxes, '$[*]'),
                           lambda x: {'rate_id': TRY_CAST(json_extract_string(x, '$.id') AS INTEGER),
                                      'total': wc_money(json_extract(x, '$.total'))}),
            lambda x: x.rate_id IS NOT NULL AND x.total IS NOT NULL)
    END;

-- Elements of a list as JSON values (empty when the list is absent or not an array).
CREATE OR REPLACE TEMP MACRO wc_items(v) AS
    CASE WHEN json_type(v) = 'ARRAY' THEN json_extract(v, '$[*]') ELSE []::JSON[] END;

-- ---------------------------------------------------------------------------------------------------------
-- Reasons.

-- A required money value: present, a number, at most 12 integer digits and 6 decimals (a 7th non-zero decimal
-- would be rounded away by DECIMAL(18,6), so it is refused rather than silently rounded).
CREATE OR REPLACE TEMP MACRO wc_money_reason(v, label) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN wc_money(v) IS NULL THEN label || ': ' || wc_show(v)
            || CASE WHEN regexp_full_match(trim(coalesce(wc_text(v), '')), '[-+]?[0-9]+(\.[0-9]*)?')
                    THEN ' is out of range' ELSE ' is not a number' END
        WHEN regexp_matches(wc_text(v), '\.[0-9]{6}[0-9]*[1-9]') THEN label || ': ' || wc_show(v) || ' has more than 6 decimals'
    END;

-- An optional money value: absent, null, "" and booleans (real-world quirks) mean "none".
CREATE OR REPLACE TEMP MACRO wc_opt_money_reason(v, label) AS
    CASE
        WHEN wc_absent(v) OR json_type(v) = 'BOOLEAN' OR trim(coalesce(wc_text(v), 'x')) = '' THEN NULL
        ELSE wc_money_reason(v, label)
    END;

-- An optional money value read as NULL for the quirks above.
CREATE OR REPLACE TEMP MACRO wc_opt_money(v) AS CASE WHEN wc_opt_money_reason(v, '') IS NULL THEN wc_money(v) END;

-- A required quantity: a number (integer or decimal text), not negative unless allowed.
CREATE OR REPLACE TEMP MACRO wc_qty_reason(v, label, allow_negative) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN wc_money(v) IS NULL THEN label || ': ' || wc_show(v) || ' is not a number'
        WHEN NOT allow_negative AND wc_money(v) < 0 THEN label || ': ' || wc_show(v) || ' is negative'
    END;

-- A required positive integer id.
CREATE OR REPLACE TEMP MACRO wc_id_reason(v, label) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN coalesce(wc_int(v), 0) <= 0 THEN label || ': ' || wc_show(v) || ' is not a positive integer'
    END;

-- An optional non-negative integer reference (customer_id 0 = guest); absent/null is fine.
CREATE OR REPLACE TEMP MACRO wc_ref_reason(v, label) AS
    CASE WHEN NOT wc_absent(v) AND wc_int(v) IS NULL THEN label || ': ' || wc_show(v) || ' is not an integer' END;

-- An optional number (stock_quantity); absent/null is fine.
CREATE OR REPLACE TEMP MACRO wc_opt_num_reason(v, label) AS
    CASE WHEN NOT wc_absent(v) AND wc_money(v) IS NULL THEN label || ': ' || wc_show(v) || ' is not a number' END;

-- A required, non-empty string.
CREATE OR REPLACE TEMP MACRO wc_str_reason(v, label) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN json_type(v) <> 'VARCHAR' THEN label || ': ' || wc_show(v) || ' is not a string'
        WHEN trim(json_extract_string(v, '$')) = '' THEN label || ': is empty'
    END;

-- A required boolean.
CREATE OR REPLACE TEMP MACRO wc_bool_reason(v, label) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN wc_bool(v) IS NULL THEN label || ': ' || wc_show(v) || ' is not a boolean'
    END;

-- A required date 'YYYY-MM-DDTHH:MM:SS'.
CREATE OR REPLACE TEMP MACRO wc_ts_reason(v, label) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN wc_ts(v) IS NULL THEN label || ': ' || wc_show(v) || ' is not a date (YYYY-MM-DDTHH:MM:SS)'
    END;

-- An optional date: absent, null and "" mean "none"; anything else must parse.
CREATE OR REPLACE TEMP MACRO wc_opt_ts_reason(v, label) AS
    CASE WHEN wc_absent(v) OR trim(coalesce(json_extract_string(v, '$'), '')) = '' THEN NULL
         ELSE wc_ts_reason(v, label) END;

-- A list that must be a JSON array (required) or may be absent/null (optional).
CREATE OR REPLACE TEMP MACRO wc_array_reason(v, label, required) AS
    CASE
        WHEN wc_absent(v) AND NOT required THEN NULL
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN json_type(v) <> 'ARRAY' THEN label || ': ' || wc_show(v) || ' is not an array'
    END;

-- A record (or line) that is not a JSON object.
CREATE OR REPLACE TEMP MACRO wc_object_reason(j, label) AS
    CASE WHEN coalesce(json_type(j), 'NULL') <> 'OBJECT' THEN label || ': ' || left(j::VARCHAR, 60) || ' is not an object' END;

-- The reasons of a record, given as concat_ws('; ', reason, ...) (which skips NULLs): NULL when there are none,
-- capped so that one record cannot flood the table.
CREATE OR REPLACE TEMP MACRO wc_reasons(joined) AS NULLIF(left(joined, 2000), '');

-- ---------------------------------------------------------------------------------------------------------
-- The latest raw version of every record a batch ($run_id) touches, across all raw rows of its key: ordered by
-- the record's own version date (NULL for records without one), then the fetch time, then the content. The
-- versions are ranked on the narrow columns _fill_record_keys.sql fills first (record_key, record_id, version_date,
-- digest; migration 038), never on the JSON of the history, and found by their integer id (a '#md5' key, which
-- has none, by its text); only the winners' payloads are read back.
CREATE OR REPLACE TEMP MACRO wc_latest(raw_table, p_shop, p_run_id) AS TABLE
WITH batch AS (
    SELECT DISTINCT record_key, record_id FROM query_table(raw_table) WHERE shop = p_shop AND run_id = p_run_id
),
versions AS (
    SELECT * FROM query('SELECT rowid AS raw_row, shop, record_key, record_id, version_date, fetched_at, digest FROM '
                        || raw_table)
    WHERE shop = p_shop AND record_id IN (SELECT record_id FROM batch)
    UNION ALL
    SELECT * FROM query('SELECT rowid AS raw_row, shop, record_key, record_id, version_date, fetched_at, digest FROM '
                        || raw_table)
    WHERE shop = p_shop AND record_id IS NULL AND record_key IN (SELECT record_key FROM batch WHERE record_id IS NULL)
),
winners AS (
    SELECT raw_row, record_key
    FROM versions
    QUALIFY row_number() OVER (PARTITION BY record_key
                               ORDER BY version_date DESC NULLS LAST, fetched_at DESC, digest DESC) = 1
)
SELECT w.record_key, r.payload, r.fetched_at
FROM winners w JOIN query('SELECT rowid AS raw_row, payload, fetched_at FROM ' || raw_table) r USING (raw_row);

-- ---------------------------------------------------------------------------------------------------------
-- Building blocks of the entity files (orders.sql, refunds.sql, ...), so that each states only what is its own.

-- wc_latest() with each record's JSON type (`payload_type`) and its fields parsed once into `s`: `fields` is a
-- json_transform structure, '{"id": "JSON", ...}'.
CREATE OR REPLACE TEMP MACRO wc_latest_parsed(raw_table, p_shop, p_run_id, fields) AS TABLE
SELECT record_key, payload, fetched_at, json_type(payload) AS payload_type, json_transform(payload, fields) AS s
FROM wc_latest(raw_table, p_shop, p_run_id);

-- Why a record does not stage: it is not a JSON object, or the reasons found in it (`reasons`: concat_ws('; ', ...)).
CREATE OR REPLACE TEMP MACRO wc_record_reason(payload, payload_type, reasons) AS
    CASE
        WHEN payload_type <> 'OBJECT' THEN 'record: ' || left(payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(reasons)
    END;

-- A date that is required, or optional (absent, null and "" mean "none").
CREATE OR REPLACE TEMP MACRO wc_date_reason(v, label, required) AS
    CASE WHEN required THEN wc_ts_reason(v, label) ELSE wc_opt_ts_reason(v, label) END;

-- The reasons of a record's dates of creation and modification (`s`: its parsed fields); NULL when there are none.
CREATE OR REPLACE TEMP MACRO wc_dates_reason(s, created_required, modified_required) AS NULLIF(concat_ws('; ',
    wc_date_reason(s.date_created, 'date_created', created_required),
    wc_date_reason(s.date_created_gmt, 'date_created_gmt', created_required),
    wc_date_reason(s.date_modified, 'date_modified', modified_required),
    wc_date_reason(s.date_modified_gmt, 'date_modified_gmt', modified_required)), '');

-- Those four dates, typed, as a STRUCT: unnest(wc_dates(s)) gives the columns date_created .. date_modified_gmt.
CREATE OR REPLACE TEMP MACRO wc_dates(s) AS {
    'date_created': wc_ts(s.date_created), 'date_created_gmt': wc_ts(s.date_created_gmt),
    'date_modified': wc_ts(s.date_modified), 'date_modified_gmt': wc_ts(s.date_modified_gmt)};

-- The billing and shipping addresses of an order or a customer: unnest() gives the columns billing_first_name ..
-- billing_phone and shipping_first_name .. shipping_country.
CREATE OR REPLACE TEMP MACRO wc_addresses(billing, shipping) AS {
    'billing_first_name': wc_sub(billing, '$.first_name'), 'billing_last_name': wc_sub(billing, '$.last_name'),
    'billing_company': wc_sub(billing, '$.company'), 'billing_address_1': wc_sub(billing, '$.address_1'),
    'billing_address_2': wc_sub(billing, '$.address_2'), 'billing_city': wc_sub(billing, '$.city'),
    'billing_state': wc_sub(billing, '$.state'), 'billing_postcode': wc_sub(billing, '$.postcode'),
    'billing_country': wc_sub(billing, '$.country'), 'billing_email': NULLIF(trim(wc_sub(billing, '$.email')), ''),
    'billing_phone': wc_sub(billing, '$.phone'),
    'shipping_first_name': wc_sub(shipping, '$.first_name'), 'shipping_last_name': wc_sub(shipping, '$.last_name'),
    'shipping_company': wc_sub(shipping, '$.company'), 'shipping_address_1': wc_sub(shipping, '$.address_1'),
    'shipping_address_2': wc_sub(shipping, '$.address_2'), 'shipping_city': wc_sub(shipping, '$.city'),
    'shipping_state': wc_sub(shipping, '$.state'), 'shipping_postcode': wc_sub(shipping, '$.postcode'),
    'shipping_country': wc_sub(shipping, '$.country')};

-- Price and stock of a product or a variation (`s`: its parsed fields): unnest() gives the columns sku .. stock_status.
CREATE OR REPLACE TEMP MACRO wc_price_and_stock(s) AS {
    'sku': wc_nstr(s.sku), 'price': wc_opt_money(s.price), 'regular_price': wc_opt_money(s.regular_price),
    'sale_price': wc_opt_money(s.sale_price), 'tax_status': wc_text(s.tax_status), 'tax_class': wc_text(s.tax_class),
    'stock_quantity': wc_money(s.stock_quantity), 'stock_status': wc_text(s.stock_status)};

-- Their reasons: the prices may be absent, "" or a boolean; NULL when there are none.
CREATE OR REPLACE TEMP MACRO wc_price_and_stock_reason(s) AS NULLIF(concat_ws('; ',
    wc_opt_money_reason(s.price, 'price'),
    wc_opt_money_reason(s.regular_price, 'regular_price'),
    wc_opt_money_reason(s.sale_price, 'sale_price'),
    wc_opt_num_reason(s.stock_quantity, 'stock_quantity')), '');

-- The items of the list `list_name` of every record in `latest_table` (made by wc_latest_parsed): `idx` from 0, the
-- item `j` (JSON) and `p`, the prefix of its reasons' labels ('coupon_lines[2].').
CREATE OR REPLACE TEMP MACRO wc_list_items(latest_table, list_name) AS TABLE
SELECT record_key, idx, j, list_name || '[' || idx || '].' AS p
FROM (SELECT record_key, generate_subscripts(items, 1) - 1 AS idx, unnest(items) AS j
      FROM (SELECT record_key, wc_items(struct_extract(s, list_name)) AS items FROM query_table(latest_table)));

-- Those items with their `fields` parsed into `x` (a json_transform structure with "id"), the line id, and the
-- reasons every line has: `head_reason` (not an object, no positive id) and `unique_reason` (id repeated in its
-- record; `doc` names the record: 'order'). `type_order` 1: one list (see wc_lines_reason).
CREATE OR REPLACE TEMP MACRO wc_list_lines(latest_table, list_name, fields, doc) AS TABLE
SELECT record_key, 1 AS type_order, idx, p, x, wc_int(x.id) AS line_id,
       NULLIF(concat_ws('; ', wc_object_reason(j, rtrim(p, '.')), wc_id_reason(x.id, p || 'id')), '') AS head_reason,
       CASE WHEN wc_int(x.id) IS NOT NULL AND count(*) OVER (PARTITION BY record_key, wc_int(x.id)) > 1
            THEN p || 'id: ' || wc_int(x.id) || ' is not unique in the ' || doc END AS unique_reason
FROM (SELECT *, json_transform(j, fields) AS x FROM wc_list_items(latest_table, list_name));

-- Line items, shipping lines and fee lines of orders or refunds (`doc`: 'order' | 'refund') in `latest_table`,
-- typed, each with its own reasons; a line id must be unique across the three lists of its record. Refund lines
-- keep WooCommerce's negative signs. Shipping and fee lines have quantity 1 on an order; on a refund, their own
-- quantity if they carry one (it may be negative), else -1.
CREATE OR REPLACE TEMP MACRO wc_sale_lines(latest_table, doc) AS TABLE
WITH parsed AS (
    SELECT *,
           json_transform(j, '{
               "id": "JSON", "name": "JSON", "method_title": "JSON", "method_id": "JSON", "product_id": "JSON",
               "variation_id": "JSON", "sku": "JSON", "quantity": "JSON", "tax_class": "JSON",
               "tax_status": "JSON", "price": "JSON", "subtotal": "JSON", "subtotal_tax": "JSON", "total": "JSON",
               "total_tax": "JSON", "taxes": "JSON", "meta_data": "JSON"}') AS l
    FROM (SELECT 1 AS type_order, 'line_item' AS line_type, * FROM wc_list_items(latest_table, 'line_items')
          UNION ALL SELECT 2, 'shipping', * FROM wc_list_items(latest_table, 'shipping_lines')
          UNION ALL SELECT 3, 'fee', * FROM wc_list_items(latest_table, 'fee_lines'))
),
typed AS (
    SELECT
        record_key, type_order, idx, j, p, l,
        line_type = 'line_item' OR (doc = 'refund' AND NOT wc_absent(l.quantity)) AS has_quantity,
        wc_int(l.id) AS line_id,
        line_type,
        CASE WHEN doc = 'refund' THEN TRY_CAST(wc_meta(l.meta_data, '_refunded_item_id') AS BIGINT) END
            AS refunded_item_id,
        wc_text(CASE line_type WHEN 'shipping' THEN l.method_title ELSE l.name END) AS name,
        wc_int(l.product_id) AS product_id,
        wc_int(l.variation_id) AS variation_id,
        wc_nstr(l.sku) AS sku,
        CASE WHEN has_quantity THEN wc_money(l.quantity) WHEN doc = 'refund' THEN -1 ELSE 1 END::DECIMAL(18, 4)
            AS quantity,
        wc_text(l.tax_class) AS tax_class,
        wc_text(l.tax_status) AS tax_status,
        CASE WHEN line_type = 'line_item' THEN wc_dec6(l.price) END AS price,
        wc_money(CASE line_type WHEN 'line_item' THEN l.subtotal ELSE l.total END) AS subtotal,
        wc_money(CASE line_type WHEN 'line_item' THEN l.subtotal_tax ELSE l.total_tax END) AS subtotal_tax,
        wc_money(l.total) AS total,
        wc_money(l.total_tax) AS total_tax,
        wc_tax_rate_ids(l.taxes) AS tax_rate_ids,
        wc_tax_totals(l.taxes) AS tax_totals,
        CASE WHEN line_type = 'shipping' THEN wc_text(l.method_id) END AS method_id,
        l.meta_data AS meta_data
    FROM parsed
)
SELECT
    * EXCLUDE (l, has_quantity),
    wc_reasons(concat_ws('; ',
        wc_object_reason(j, rtrim(p, '.')),
        wc_id_reason(l.id, p || 'id'),
        CASE WHEN has_quantity THEN wc_qty_reason(l.quantity, p || 'quantity', doc = 'refund') END,
        CASE WHEN line_type = 'line_item' THEN wc_money_reason(l.subtotal, p || 'subtotal') END,
        CASE WHEN line_type = 'line_item' THEN wc_money_reason(l.subtotal_tax, p || 'subtotal_tax') END,
        wc_money_reason(l.total, p || 'total'),
        wc_money_reason(l.total_tax, p || 'total_tax'),
        CASE WHEN line_id IS NOT NULL AND count(*) OVER (PARTITION BY record_key, line_id) > 1
             THEN p || 'id: ' || line_id || ' is not unique in the ' || doc END
    )) AS reason
FROM typed;

-- The reasons of an order's or a refund's three lists of lines (`s`: its parsed fields), which may be absent except
-- line_items when `line_items_required`; NULL when there are none.
CREATE OR REPLACE TEMP MACRO wc_sale_lists_reason(s, line_items_required) AS NULLIF(concat_ws('; ',
    wc_array_reason(s.line_items, 'line_items', line_items_required),
    wc_array_reason(s.shipping_lines, 'shipping_lines', false),
    wc_array_reason(s.fee_lines, 'fee_lines', false)), '');

-- The reasons of the lines in `lines_table` joined per record, in the order of the lists (`type_order`) and of the
-- lines in each (`idx`); records without any have no row.
CREATE OR REPLACE TEMP MACRO wc_lines_reason(lines_table) AS TABLE
SELECT record_key, string_agg(reason, '; ' ORDER BY type_order, idx) AS reason
FROM query_table(lines_table) WHERE reason IS NOT NULL GROUP BY record_key;

-- Every entity file leaves `stg_records`: one row per record key of the batch, its latest version (record_key,
-- payload, fetched_at), `reason` (NULL when it stages) and its staging columns; quarantine.sql and the counts
-- (lib/staging.py) read it.

-- The rows of `records_table` (stg_records) that stage: INSERT INTO staging.<table> BY NAME SELECT * FROM
-- wc_staged(...).
CREATE OR REPLACE TEMP MACRO wc_staged(records_table, p_shop) AS TABLE
SELECT * EXCLUDE (record_key, payload, fetched_at, reason), p_shop AS shop
FROM query_table(records_table)
WHERE reason IS NULL;

-- Reference data (customers, tax rates and classes) is fetched in full: true when run `p_run_id` is the shop's latest
-- non-empty run of `raw_table`, so that a record it does not list is gone from the shop.
CREATE OR REPLACE TEMP MACRO wc_latest_run(raw_table, p_shop, p_run_id) AS
    coalesce((SELECT max(fetched_at) FROM query_table(raw_table) WHERE shop = p_shop AND run_id = p_run_id)
             >= (SELECT max(fetched_at) FROM query_table(raw_table) WHERE shop = p_shop), false);
