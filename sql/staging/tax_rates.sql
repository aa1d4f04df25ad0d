-- raw.tax_rates (/taxes) -> staging.tax_rates ($shop, $run_id). Reference data without dates: the latest fetch
-- per rate id wins; when this run is the shop's latest tax_rates run (and not empty), rates absent from it are
-- deleted from staging (and their stale quarantine rows removed). Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_records AS
SELECT
    record_key, payload, fetched_at,
    wc_record_reason(payload, payload_type, concat_ws('; ',
        wc_id_reason(s.id, 'id'),
        CASE WHEN wc_absent(s.rate) THEN 'rate: missing'
             WHEN TRY_CAST(trim(wc_text(s.rate)) AS DECIMAL(9, 4)) IS NULL
             THEN 'rate: ' || wc_show(s.rate) || ' is not a number' END,
        wc_str_reason(s.class, 'class'),
        CASE WHEN NOT wc_absent(s.priority) AND TRY_CAST(wc_int(s.priority) AS INTEGER) IS NULL
             THEN 'priority: ' || wc_show(s.priority) || ' is not an integer' END
    )) AS reason,
    wc_int(s.id) AS tax_rate_id,
    wc_text(s.country) AS country,
    wc_text(s.state) AS state,
    TRY_CAST(trim(wc_text(s.rate)) AS DECIMAL(9, 4)) AS rate,
    wc_text(s.name) AS name,
    TRY_CAST(wc_int(s.priority) AS INTEGER) AS priority,
    wc_bool(s.compound) AS compound,
    wc_bool(s.shipping) AS shipping,
    wc_text(s.class) AS tax_class
FROM wc_latest_parsed('raw.tax_rates', $shop, $run_id, '{
    "id": "JSON", "country": "JSON", "state": "JSON", "rate": "JSON", "name": "JSON", "priority": "JSON",
    "compound": "JSON", "shipping": "JSON", "class": "JSON"}');

-- The batch's rates are replaced; from the shop's latest non-empty run, all of them: a rate that run no longer
-- lists is gone from the shop, and so is its quarantine row.
DELETE FROM staging.tax_rates WHERE shop = $shop AND (wc_latest_run('raw.tax_rates', $shop, $run_id)
    OR tax_rate_id IN (SELECT tax_rate_id FROM stg_records WHERE tax_rate_id > 0));
INSERT INTO staging.tax_rates BY NAME SELECT * FROM wc_staged('stg_records', $shop);
DELETE FROM quarantine.records WHERE shop = $shop AND entity = $entity
    AND wc_latest_run('raw.tax_rates', $shop, $run_id) AND record_key NOT IN (SELECT record_key FROM stg_records);
