-- pv_scope(entity, id): the WooCommerce orders and customers of the person with e-mail $email (lower-cased):
-- registered customers whose account or billing e-mail it is, their orders, and orders billed to the address;
-- also any raw version that names the address (an old e-mail changed since still counts).
CREATE OR REPLACE TEMP TABLE pv_customers AS
SELECT DISTINCT customer_id AS id FROM staging.customers
 WHERE shop = $shop AND $email IN (lower(trim(coalesce(email, ''))), lower(trim(coalesce(billing_email, ''))))
UNION
SELECT DISTINCT TRY_CAST(json_extract_string(payload, '$.id') AS BIGINT) FROM raw.customers
 WHERE shop = $shop AND pv_mentions(payload, $email) AND TRY_CAST(json_extract_string(payload, '$.id') AS BIGINT) IS NOT NULL;

CREATE OR REPLACE TEMP TABLE pv_orders AS
SELECT DISTINCT order_id AS id FROM staging.orders
 WHERE shop = $shop AND (lower(trim(coalesce(billing_email, ''))) = $email
                         OR (customer_id > 0 AND customer_id IN (SELECT id FROM pv_customers)))
UNION
SELECT DISTINCT TRY_CAST(json_extract_string(payload, '$.id') AS BIGINT) FROM raw.orders
 WHERE shop = $shop AND TRY_CAST(json_extract_string(payload, '$.id') AS BIGINT) IS NOT NULL
   AND (pv_mentions(payload, $email)
        OR TRY_CAST(json_extract_string(payload, '$.customer_id') AS BIGINT) IN (SELECT id FROM pv_customers WHERE id > 0));
