-- raw.customers -> staging.customers ($shop, $run_id). Reference data, fetched in full every run: the latest
-- version per customer id (date_modified_gmt, then fetched_at) is upserted, and when this run is the shop's
-- latest customers run (and not empty), customers absent from it are deleted from staging (and their stale
-- quarantine rows removed). Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_records AS
SELECT
    record_key, payload, fetched_at,
    wc_record_reason(payload, payload_type, concat_ws('; ', wc_id_reason(s.id, 'id'), wc_dates_reason(s, false, false)))
        AS reason,
    wc_int(s.id) AS customer_id,
    wc_nstr(s.email) AS email,
    wc_text(s.first_name) AS first_name,
    wc_text(s.last_name) AS last_name,
    wc_text(s.role) AS role,
    wc_text(s.username) AS username,
    wc_bool(s.is_paying_customer) AS is_paying_customer,
    unnest(wc_addresses(s.billing, s.shipping)),
    unnest(wc_dates(s)),
    s.meta_data AS meta_data
FROM wc_latest_parsed('raw.customers', $shop, $run_id, '{
    "id": "JSON", "email": "JSON", "first_name": "JSON", "last_name": "JSON", "role": "JSON",
    "username": "JSON", "is_paying_customer": "JSON", "billing": "JSON", "shipping": "JSON",
    "date_created": "JSON", "date_created_gmt": "JSON", "date_modified": "JSON",
    "date_modified_gmt": "JSON", "meta_data": "JSON"}');

-- The batch's customers are replaced; from the shop's latest non-empty run, all of them: a customer that run no longer
-- lists is gone from the shop, and so is its quarantine row.
DELETE FROM staging.customers WHERE shop = $shop AND (wc_latest_run('raw.customers', $shop, $run_id)
    OR customer_id IN (SELECT customer_id FROM stg_records WHERE customer_id > 0));
INSERT INTO staging.customers BY NAME SELECT * FROM wc_staged('stg_records', $shop);
DELETE FROM quarantine.records WHERE shop = $shop AND entity = $entity
    AND wc_latest_run('raw.customers', $shop, $run_id) AND record_key NOT IN (SELECT record_key FROM stg_records);
