-- deltas.customer_delta: one Fortnox customer per buyer of an invoiceable order (from WOOFORT_START_DATE on,
-- in a trigger status). Needs _macros.sql, _articles.sql, _orders.sql.
-- CustomerNumber (wf_customer_number in _macros.sql): registered -> <registered_prefix><customer_id>; guest with
-- e-mail -> <guest_email_prefix> + 12 hex of md5(lower(trim(e-mail))); guest without e-mail -> <guest_order_prefix>
-- <order_id>. The latest order (date_created, then order id) gives name and address (an address change updates
-- the one customer); VATType comes from the latest order with a valid VAT number when the buyer ever gave one (the
-- number and the organisation number go on the card: Fortnox keeps them read-only on invoices), so one
-- private purchase does not turn a business customer private. Each invoice's own VAT (rows, accounts) follows its
-- own order whatever the card says, and a changed card never touches a booked invoice. action upsert.
CREATE OR REPLACE TEMP TABLE wf_new_customer_delta AS
WITH buyers AS (
    SELECT o.*, o.vat_number IS NOT NULL AS has_vat_number
    FROM wf_invoices i
    JOIN wf_orders o ON o.order_id = i.order_id
    WHERE i.reason IS NULL
),
latest AS (
    SELECT b.* REPLACE (v.region AS region)
    FROM buyers b
    JOIN (SELECT customer_number, arg_max(region, (has_vat_number, date_created, order_id)) AS region
          FROM buyers GROUP BY customer_number) v ON v.customer_number = b.customer_number
    QUALIFY row_number() OVER (PARTITION BY b.customer_number ORDER BY b.date_created DESC, b.order_id DESC) = 1
),
c AS (
    SELECT l.*, cu.first_name AS c_first, cu.last_name AS c_last, cu.email AS c_email, m.price_list
    FROM latest l
    JOIN map_settings m ON true
    LEFT JOIN staging.customers cu ON cu.shop = l.shop AND cu.customer_id = l.customer_id AND l.customer_id > 0
),
p AS (
    SELECT c.*,
           json_object('Customer', json_merge_patch(
               json_object(
                   'CustomerNumber', c.customer_number,
                   'Name', left(coalesce(nullif(trim(c.billing_company), ''),
                                         nullif(trim(concat_ws(' ', trim(c.billing_first_name), trim(c.billing_last_name))), ''),
                                         nullif(trim(concat_ws(' ', trim(c.c_first), trim(c.c_last))), ''),
                                         wf_email(coalesce(c.billing_email, c.c_email)), 'Order ' || c.order_id), 1024),
                   'Type', CASE WHEN nullif(trim(c.billing_company), '') IS NOT NULL THEN 'COMPANY' ELSE 'PRIVATE' END,
                   'VATType', wf_vat_type(c.region),
                   'Address1', coalesce(c.billing_address_1, ''),
                   'Address2', coalesce(c.billing_address_2, ''),
                   'ZipCode', left(coalesce(c.billing_postcode, ''), 10),
                   'City', coalesce(c.billing_city, ''),
                   'Phone1', coalesce(c.billing_phone, ''),
                   'PriceList', c.price_list),
               json_object('Email', wf_email(coalesce(c.billing_email, c.c_email)),
                           'CountryCode', nullif(upper(trim(c.billing_country)), ''),
                           'VATNumber', c.vat_number, 'OrganisationNumber', c.organisation_number))) AS payload
    FROM c
)
SELECT p.shop, p.customer_number AS source_key, 'customer' AS entity, 'upsert' AS action, p.payload,
       md5(CAST(p.payload AS VARCHAR)) AS payload_hash, p.order_id,
       CAST(NULL AS VARCHAR) AS ref_entity, CAST(NULL AS VARCHAR) AS ref_source_key,
       p.customer_number, p.region, wf_vat_type(p.region) AS vat_type
FROM p
LEFT JOIN ledger.documents d ON d.shop = p.shop AND d.entity = 'customer' AND d.source_key = p.customer_number
WHERE d.payload_hash IS DISTINCT FROM md5(CAST(p.payload AS VARCHAR))
ORDER BY p.customer_number;
