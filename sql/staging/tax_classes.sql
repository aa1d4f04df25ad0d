-- raw.tax_classes (/taxes/classes) -> staging.tax_classes ($shop, $run_id). Keyed by slug ('standard' for the
-- standard class); the latest fetch per slug wins; when this run is the shop's latest tax_classes run (and not
-- empty), classes absent from it are deleted from staging (and their stale quarantine rows removed).
-- Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_records AS
WITH keyed AS (
    SELECT CASE WHEN json_type(payload, '$.slug') = 'VARCHAR' AND trim(json_extract_string(payload, '$.slug')) <> ''
                THEN trim(json_extract_string(payload, '$.slug'))
                ELSE '#' || md5(payload::VARCHAR) END AS record_key,
           payload, fetched_at, run_id
    FROM raw.tax_classes
    WHERE shop = $shop
),
latest AS (
    SELECT record_key, payload, fetched_at
    FROM keyed
    WHERE record_key IN (SELECT record_key FROM keyed WHERE run_id = $run_id)
    QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY fetched_at DESC, md5(payload::VARCHAR) DESC) = 1
)
SELECT
    record_key, payload, fetched_at,
    wc_record_reason(payload, json_type(payload), wc_str_reason(json_extract(payload, '$.slug'), 'slug')) AS reason,
    CASE WHEN record_key NOT LIKE '#%' THEN record_key END AS slug,
    wc_text(json_extract(payload, '$.name')) AS name
FROM latest;

-- The batch's classes are replaced; from the shop's latest non-empty run, all of them: a class that run no longer
-- lists is gone from the shop, and so is its quarantine row.
DELETE FROM staging.tax_classes WHERE shop = $shop AND (wc_latest_run('raw.tax_classes', $shop, $run_id)
    OR slug IN (SELECT slug FROM stg_records WHERE slug IS NOT NULL));
INSERT INTO staging.tax_classes BY NAME SELECT * FROM wc_staged('stg_records', $shop);
DELETE FROM quarantine.records WHERE shop = $shop AND entity = $entity
    AND wc_latest_run('raw.tax_classes', $shop, $run_id) AND record_key NOT IN (SELECT record_key FROM stg_records);
