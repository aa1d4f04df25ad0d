-- Blanks personal data in raw payloads fetched before $cutoff (WOOFORT_PII_RETENTION_DAYS).
UPDATE raw.orders SET payload = pv_blank_order(payload)
 WHERE shop = $shop AND fetched_at < $cutoff AND pv_has_personal(payload);
UPDATE raw.refunds SET payload = pv_blank_order(payload)
 WHERE shop = $shop AND fetched_at < $cutoff AND pv_has_personal(payload);
UPDATE raw.customers SET payload = pv_blank_customer(payload)
 WHERE shop = $shop AND fetched_at < $cutoff AND pv_has_personal(payload);
