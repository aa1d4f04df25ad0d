-- Erases the person in pv_orders / pv_customers (forget_scope.sql) from raw, quarantine, staging, the dead letters'
-- and dry runs' payload copies and the customer delta. The ledger (numbers, hashes, statuses) is not touched.
UPDATE raw.orders SET payload = pv_blank_order(payload)
 WHERE shop = $shop AND pv_has_personal(payload)
   AND (pv_mentions(payload, $email) OR TRY_CAST(json_extract_string(payload, '$.id') AS BIGINT) IN (SELECT id FROM pv_orders));
UPDATE raw.customers SET payload = pv_blank_customer(payload)
 WHERE shop = $shop AND pv_has_personal(payload)
   AND (pv_mentions(payload, $email) OR TRY_CAST(json_extract_string(payload, '$.id') AS BIGINT) IN (SELECT id FROM pv_customers));
UPDATE quarantine.records SET payload = CASE entity WHEN 'customers' THEN pv_blank_customer(payload)
                                                    ELSE pv_blank_order(payload) END
 WHERE shop = $shop AND entity IN ('orders', 'customers') AND pv_has_personal(payload)
   AND (pv_mentions(payload, $email)
        OR (entity = 'orders' AND record_key IN (SELECT CAST(id AS VARCHAR) FROM pv_orders))
        OR (entity = 'customers' AND record_key IN (SELECT CAST(id AS VARCHAR) FROM pv_customers)));
DELETE FROM staging.order_lines WHERE shop = $shop AND order_id IN (SELECT id FROM pv_orders);
DELETE FROM staging.order_coupon_lines WHERE shop = $shop AND order_id IN (SELECT id FROM pv_orders);
DELETE FROM staging.order_tax_lines WHERE shop = $shop AND order_id IN (SELECT id FROM pv_orders);
DELETE FROM staging.refund_lines WHERE shop = $shop AND order_id IN (SELECT id FROM pv_orders);
DELETE FROM staging.refunds WHERE shop = $shop AND order_id IN (SELECT id FROM pv_orders);
DELETE FROM staging.orders WHERE shop = $shop AND order_id IN (SELECT id FROM pv_orders);
DELETE FROM staging.customers WHERE shop = $shop AND customer_id IN (SELECT id FROM pv_customers);
UPDATE ledger.dead_letter SET payload = NULL
 WHERE shop = $shop AND payload IS NOT NULL AND contains(lower(CAST(payload AS VARCHAR)), $email);
DELETE FROM ledger.dry_run_payloads
 WHERE shop = $shop AND payload IS NOT NULL AND contains(lower(CAST(payload AS VARCHAR)), $email);
UPDATE ledger.fortnox_documents SET document = json_merge_patch(document, '{"CustomerName": "", "Address1": "",
        "Address2": "", "City": "", "ZipCode": "", "Phone1": "", "Phone2": "", "DeliveryName": "",
        "DeliveryAddress1": "", "DeliveryAddress2": "", "DeliveryCity": "", "DeliveryZipCode": "",
        "YourReference": "", "OrganisationNumber": "", "EmailInformation": {"EmailAddressTo": ""}}')
 WHERE shop = $shop AND kind = 'invoice' AND json_type(document) = 'OBJECT'
   AND (contains(lower(CAST(document AS VARCHAR)), $email)
        OR TRY_CAST(json_extract_string(document, '$.ExternalInvoiceReference1') AS BIGINT) IN (SELECT id FROM pv_orders));
