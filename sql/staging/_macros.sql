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

-- Money: decimal strings (or numbers, from their JSON text) -> DECIMAL(18,4); never through DOUBLE.
CREATE OR REPLACE TEMP MACRO wc_money(v) AS TRY_CAST(trim(wc_text(v)) AS DECIMAL(18, 4));

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

-- Elements of a list as JSON values (empty when the list is absent or not an array).
CREATE OR REPLACE TEMP MACRO wc_items(v) AS
    CASE WHEN json_type(v) = 'ARRAY' THEN json_extract(v, '$[*]') ELSE []::JSON[] END;

-- ---------------------------------------------------------------------------------------------------------
-- Reasons.

-- A required money value: present, a number, at most 14 integer digits and 4 decimals (a 5th non-zero decimal
-- would be rounded away by DECIMAL(18,4), so it is refused rather than silently rounded).
CREATE OR REPLACE TEMP MACRO wc_money_reason(v, label) AS
    CASE
        WHEN wc_absent(v) THEN label || ': missing'
        WHEN wc_money(v) IS NULL THEN label || ': ' || wc_show(v)
            || CASE WHEN regexp_full_match(trim(coalesce(wc_text(v), '')), '[-+]?[0-9]+(\.[0-9]*)?')
                    THEN ' is out of range' ELSE ' is not a number' END
        WHEN regexp_matches(wc_text(v), '\.[0-9]{4}[0-9]*[1-9]') THEN label || ': ' || wc_show(v) || ' has more than 4 decimals'
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
-- the record's own version date (JSON path `version_path`; NULL for records without one), then the fetch time,
-- then the content. The versions are ranked as narrow rows (row id, key, dates, digest) and only the winners'
-- payloads are read back, so that a large batch never holds every version's JSON at once.
CREATE OR REPLACE TEMP MACRO wc_latest(raw_table, p_shop, p_run_id, version_path) AS TABLE
WITH batch AS (
    SELECT DISTINCT wc_record_key(payload) AS record_key, json_extract_string(payload, '$.id') AS id_text
    FROM query_table(raw_table)
    WHERE shop = p_shop AND run_id = p_run_id
),
versions AS (
    SELECT raw_row, wc_record_key(payload) AS record_key,
           try_strptime(json_extract_string(payload, version_path), '%Y-%m-%dT%H:%M:%S') AS version_date,
           fetched_at, md5(payload::VARCHAR) AS digest
    FROM query('SELECT rowid AS raw_row, * FROM ' || raw_table)   -- (query_table() has no rowid)
    WHERE shop = p_shop
      AND (run_id = p_run_id OR json_extract_string(payload, '$.id') IN (SELECT id_text FROM batch))
),
winners AS (
    SELECT raw_row, record_key
    FROM versions
    WHERE record_key IN (SELECT record_key FROM batch)
    QUALIFY row_number() OVER (PARTITION BY record_key
                               ORDER BY version_date DESC NULLS LAST, fetched_at DESC, digest DESC) = 1
)
SELECT w.record_key, r.payload, r.fetched_at
FROM winners w JOIN query('SELECT rowid AS raw_row, * FROM ' || raw_table) r USING (raw_row);
