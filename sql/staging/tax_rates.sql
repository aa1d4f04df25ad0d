-- raw.tax_rates (/taxes) -> staging.tax_rates ($shop, $run_id). Reference data without dates: the latest fetch
-- per rate id wins; when this run is the shop's latest tax_rates run (and not empty), rates absent from it are
-- deleted from staging (and their stale quarantine rows removed). Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_tax_rates_latest AS
SELECT record_key, payload, fetched_at, json_type(payload) AS payload_type,
       json_transform(payload, '{
           "id": "JSON", "country": "JSON", "state": "JSON", "rate": "JSON", "name": "JSON", "priority": "JSON",
           "compound": "JSON", "shipping": "JSON", "class": "JSON"}') AS s
FROM wc_latest('raw.tax_rates', $shop, $run_id, NULL);

CREATE OR REPLACE TEMP TABLE stg_tax_rates_parsed AS
SELECT
    record_key, payload, fetched_at,
    CASE
        WHEN payload_type <> 'OBJECT' THEN 'record: ' || left(payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(concat_ws('; ',
            wc_id_reason(s.id, 'id'),
            CASE WHEN wc_absent(s.rate) THEN 'rate: missing'
                 WHEN TRY_CAST(trim(wc_text(s.rate)) AS DECIMAL(9, 4)) IS NULL
                 THEN 'rate: ' || wc_show(s.rate) || ' is not a number' END,
            wc_str_reason(s.class, 'class'),
            CASE WHEN NOT wc_absent(s.priority) AND TRY_CAST(wc_int(s.priority) AS INTEGER) IS NULL
                 THEN 'priority: ' || wc_show(s.priority) || ' is not an integer' END
        ))
    END AS reason,
    wc_int(s.id) AS tax_rate_id,
    wc_text(s.country) AS country,
    wc_text(s.state) AS state,
    TRY_CAST(trim(wc_text(s.rate)) AS DECIMAL(9, 4)) AS rate,
    wc_text(s.name) AS name,
    TRY_CAST(wc_int(s.priority) AS INTEGER) AS priority,
    wc_bool(s.compound) AS compound,
    wc_bool(s.shipping) AS shipping,
    wc_text(s.class) AS tax_class
FROM stg_tax_rates_latest;

DELETE FROM staging.tax_rates WHERE shop = $shop
    AND tax_rate_id IN (SELECT tax_rate_id FROM stg_tax_rates_parsed WHERE tax_rate_id > 0);

INSERT INTO staging.tax_rates BY NAME
SELECT * EXCLUDE (record_key, payload, fetched_at, reason), $shop AS shop
FROM stg_tax_rates_parsed
WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE stg_replace AS
SELECT (SELECT max(fetched_at) FROM raw.tax_rates WHERE shop = $shop AND run_id = $run_id)
       >= (SELECT max(fetched_at) FROM raw.tax_rates WHERE shop = $shop) AS is_latest;

DELETE FROM staging.tax_rates WHERE shop = $shop
    AND (SELECT coalesce(is_latest, false) FROM stg_replace)
    AND tax_rate_id::VARCHAR NOT IN (SELECT record_key FROM stg_tax_rates_parsed);

DELETE FROM quarantine.records WHERE shop = $shop AND entity = 'tax_rates'
    AND (SELECT coalesce(is_latest, false) FROM stg_replace)
    AND record_key NOT IN (SELECT record_key FROM stg_tax_rates_parsed);

CREATE OR REPLACE TEMP TABLE stg_outcome AS
SELECT record_key, reason, payload, fetched_at FROM stg_tax_rates_parsed;
