-- raw.customers -> staging.customers ($shop, $run_id). Reference data, fetched in full every run: the latest
-- version per customer id (date_modified_gmt, then fetched_at) is upserted, and when this run is the shop's
-- latest customers run (and not empty), customers absent from it are deleted from staging (and their stale
-- quarantine rows removed). Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_customers_latest AS
SELECT record_key, payload, fetched_at, json_type(payload) AS payload_type,
       json_transform(payload, '{
           "id": "JSON", "email": "JSON", "first_name": "JSON", "last_name": "JSON", "role": "JSON",
           "username": "JSON", "is_paying_customer": "JSON", "billing": "JSON", "shipping": "JSON",
           "date_created": "JSON", "date_created_gmt": "JSON", "date_modified": "JSON",
           "date_modified_gmt": "JSON", "meta_data": "JSON"}') AS s
FROM wc_latest('raw.customers', $shop, $run_id, '$.date_modified_gmt');

CREATE OR REPLACE TEMP TABLE stg_customers_parsed AS
SELECT
    record_key, payload, fetched_at,
    CASE
        WHEN payload_type <> 'OBJECT' THEN 'record: ' || left(payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(concat_ws('; ',
            wc_id_reason(s.id, 'id'),
            wc_opt_ts_reason(s.date_created, 'date_created'),
            wc_opt_ts_reason(s.date_created_gmt, 'date_created_gmt'),
            wc_opt_ts_reason(s.date_modified, 'date_modified'),
            wc_opt_ts_reason(s.date_modified_gmt, 'date_modified_gmt')
        ))
    END AS reason,
    wc_int(s.id) AS customer_id,
    wc_nstr(s.email) AS email,
    wc_text(s.first_name) AS first_name,
    wc_text(s.last_name) AS last_name,
    wc_text(s.role) AS role,
    wc_text(s.username) AS username,
    wc_bool(s.is_paying_customer) AS is_paying_customer,
    wc_sub(s.billing, '$.first_name') AS billing_first_name,
    wc_sub(s.billing, '$.last_name') AS billing_last_name,
    wc_sub(s.billing, '$.company') AS billing_company,
    wc_sub(s.billing, '$.address_1') AS billing_address_1,
    wc_sub(s.billing, '$.address_2') AS billing_address_2,
    wc_sub(s.billing, '$.city') AS billing_city,
    wc_sub(s.billing, '$.state') AS billing_state,
    wc_sub(s.billing, '$.postcode') AS billing_postcode,
    wc_sub(s.billing, '$.country') AS billing_country,
    NULLIF(trim(wc_sub(s.billing, '$.email')), '') AS billing_email,
    wc_sub(s.billing, '$.phone') AS billing_phone,
    wc_sub(s.shipping, '$.first_name') AS shipping_first_name,
    wc_sub(s.shipping, '$.last_name') AS shipping_last_name,
    wc_sub(s.shipping, '$.company') AS shipping_company,
    wc_sub(s.shipping, '$.address_1') AS shipping_address_1,
    wc_sub(s.shipping, '$.address_2') AS shipping_address_2,
    wc_sub(s.shipping, '$.city') AS shipping_city,
    wc_sub(s.shipping, '$.state') AS shipping_state,
    wc_sub(s.shipping, '$.postcode') AS shipping_postcode,
    wc_sub(s.shipping, '$.country') AS shipping_country,
    wc_ts(s.date_created) AS date_created,
    wc_ts(s.date_created_gmt) AS date_created_gmt,
    wc_ts(s.date_modified) AS date_modified,
    wc_ts(s.date_modified_gmt) AS date_modified_gmt,
    s.meta_data AS meta_data
FROM stg_customers_latest;

DELETE FROM staging.customers WHERE shop = $shop
    AND customer_id IN (SELECT customer_id FROM stg_customers_parsed WHERE customer_id > 0);

INSERT INTO staging.customers BY NAME
SELECT * EXCLUDE (record_key, payload, fetched_at, reason), $shop AS shop
FROM stg_customers_parsed
WHERE reason IS NULL;

-- Full replacement, only from the latest non-empty run of the shop.
CREATE OR REPLACE TEMP TABLE stg_replace AS
SELECT (SELECT max(fetched_at) FROM raw.customers WHERE shop = $shop AND run_id = $run_id)
       >= (SELECT max(fetched_at) FROM raw.customers WHERE shop = $shop) AS is_latest;

DELETE FROM staging.customers WHERE shop = $shop
    AND (SELECT coalesce(is_latest, false) FROM stg_replace)
    AND customer_id::VARCHAR NOT IN (SELECT record_key FROM stg_customers_parsed);

DELETE FROM quarantine.records WHERE shop = $shop AND entity = 'customers'
    AND (SELECT coalesce(is_latest, false) FROM stg_replace)
    AND record_key NOT IN (SELECT record_key FROM stg_customers_parsed);

CREATE OR REPLACE TEMP TABLE stg_outcome AS
SELECT record_key, reason, payload, fetched_at FROM stg_customers_parsed;
