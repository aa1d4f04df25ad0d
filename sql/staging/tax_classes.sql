-- raw.tax_classes (/taxes/classes) -> staging.tax_classes ($shop, $run_id). Keyed by slug ('standard' for the
-- standard class); the latest fetch per slug wins; when this run is the shop's latest tax_classes run (and not
-- empty), classes absent from it are deleted from staging (and their stale quarantine rows removed).
-- Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_tax_classes_latest AS
WITH keyed AS (
    SELECT CASE WHEN json_type(payload, '$.slug') = 'VARCHAR' AND trim(json_extract_string(payload, '$.slug')) <> ''
                THEN trim(json_extract_string(payload, '$.slug'))
                ELSE '#' || md5(payload::VARCHAR) END AS record_key,
           payload, fetched_at, run_id
    FROM raw.tax_classes
    WHERE shop = $shop
)
SELECT record_key, payload, fetched_at
FROM keyed
WHERE record_key IN (SELECT record_key FROM keyed WHERE run_id = $run_id)
QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY fetched_at DESC, md5(payload::VARCHAR) DESC) = 1;

CREATE OR REPLACE TEMP TABLE stg_tax_classes_parsed AS
SELECT
    record_key, payload, fetched_at,
    CASE
        WHEN json_type(payload) <> 'OBJECT' THEN 'record: ' || left(payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(concat_ws('; ',
            wc_str_reason(json_extract(payload, '$.slug'), 'slug')
        ))
    END AS reason,
    CASE WHEN record_key NOT LIKE '#%' THEN record_key END AS slug,
    wc_text(json_extract(payload, '$.name')) AS name
FROM stg_tax_classes_latest;

DELETE FROM staging.tax_classes WHERE shop = $shop
    AND slug IN (SELECT slug FROM stg_tax_classes_parsed WHERE slug IS NOT NULL);

INSERT INTO staging.tax_classes BY NAME
SELECT $shop AS shop, slug, name
FROM stg_tax_classes_parsed
WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE stg_replace AS
SELECT (SELECT max(fetched_at) FROM raw.tax_classes WHERE shop = $shop AND run_id = $run_id)
       >= (SELECT max(fetched_at) FROM raw.tax_classes WHERE shop = $shop) AS is_latest;

DELETE FROM staging.tax_classes WHERE shop = $shop
    AND (SELECT coalesce(is_latest, false) FROM stg_replace)
    AND slug NOT IN (SELECT record_key FROM stg_tax_classes_parsed);

DELETE FROM quarantine.records WHERE shop = $shop AND entity = 'tax_classes'
    AND (SELECT coalesce(is_latest, false) FROM stg_replace)
    AND record_key NOT IN (SELECT record_key FROM stg_tax_classes_parsed);

CREATE OR REPLACE TEMP TABLE stg_outcome AS
SELECT record_key, reason, payload, fetched_at FROM stg_tax_classes_parsed;
