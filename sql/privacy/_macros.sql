-- Personal-data blanking of WooCommerce JSON payloads (raw.*, quarantine.records). What bookkeeping needs stays:
-- ids, amounts, taxes, lines, dates, statuses, currency, payment method, countries, company name, VAT number,
-- order meta (org./VAT numbers, exchange rates). What identifies a private person goes: names, street address,
-- postcode, city, state, e-mail, phone, IP address, user agent, customer note, username, avatar.
-- (json_extract* rather than the arrow operators: inside a macro `x -> '...'` would parse as a lambda.)
CREATE OR REPLACE TEMP MACRO pv_blank_address(addr) AS
    CASE WHEN json_type(addr) = 'OBJECT'
         THEN json_merge_patch(addr, '{"first_name": "", "last_name": "", "address_1": "", "address_2": "",
                                       "city": "", "state": "", "postcode": "", "email": "", "phone": ""}')
         ELSE addr END;

CREATE OR REPLACE TEMP MACRO pv_blank(doc) AS
    CASE WHEN json_type(doc) <> 'OBJECT' THEN doc
         ELSE json_merge_patch(doc, json_object(
                  'billing', pv_blank_address(json_extract(doc, '$.billing')),
                  'shipping', pv_blank_address(json_extract(doc, '$.shipping')))) END;

CREATE OR REPLACE TEMP MACRO pv_blank_order(doc) AS
    CASE WHEN json_type(doc) <> 'OBJECT' THEN doc
         ELSE json_merge_patch(pv_blank(doc), json_object(
                  'customer_ip_address', '', 'customer_user_agent', '', 'customer_note', '')) END;

CREATE OR REPLACE TEMP MACRO pv_blank_customer(doc) AS
    CASE WHEN json_type(doc) <> 'OBJECT' THEN doc
         ELSE json_merge_patch(pv_blank(doc), json_object(
                  'email', '', 'first_name', '', 'last_name', '', 'username', '', 'avatar_url', '')) END;

CREATE OR REPLACE TEMP MACRO pv_str(doc, path) AS coalesce(json_extract_string(doc, path), '');

-- True while a payload still holds personal data (so a sweep touches each row once).
CREATE OR REPLACE TEMP MACRO pv_has_personal(doc) AS
    json_type(doc) = 'OBJECT' AND (
        pv_str(doc, '$.billing.email') <> '' OR pv_str(doc, '$.billing.first_name') <> ''
        OR pv_str(doc, '$.billing.last_name') <> '' OR pv_str(doc, '$.billing.address_1') <> ''
        OR pv_str(doc, '$.billing.phone') <> '' OR pv_str(doc, '$.billing.postcode') <> ''
        OR pv_str(doc, '$.shipping.first_name') <> '' OR pv_str(doc, '$.shipping.last_name') <> ''
        OR pv_str(doc, '$.shipping.address_1') <> '' OR pv_str(doc, '$.email') <> ''
        OR pv_str(doc, '$.first_name') <> '' OR pv_str(doc, '$.last_name') <> ''
        OR pv_str(doc, '$.customer_ip_address') <> '' OR pv_str(doc, '$.customer_note') <> ''
        OR pv_str(doc, '$.customer_user_agent') <> '' OR pv_str(doc, '$.username') <> '');

-- The payload names this (lower-cased) e-mail address: order billing, customer account or billing.
CREATE OR REPLACE TEMP MACRO pv_mentions(doc, address) AS
    json_type(doc) = 'OBJECT' AND address IN (lower(trim(pv_str(doc, '$.billing.email'))),
                                             lower(trim(pv_str(doc, '$.email'))));
