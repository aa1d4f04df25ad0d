-- The record key (and its integer id, NULL for a '#md5' key), version date and digest of every raw row, parsed
-- once (the first time staging sees the row, see sql/staging/_fill_record_keys.sql) instead of from the JSON of
-- every raw row of the shop on every batch: choosing a record's latest version (wc_latest) then reads these
-- narrow columns only, so a batch costs in proportion to itself, not to the shop's history. NULL until filled;
-- rows of older versions are filled by the first staging after this migration.
ALTER TABLE raw.orders ADD COLUMN record_key VARCHAR;
ALTER TABLE raw.orders ADD COLUMN record_id BIGINT;
ALTER TABLE raw.orders ADD COLUMN version_date TIMESTAMP;
ALTER TABLE raw.orders ADD COLUMN digest VARCHAR;
ALTER TABLE raw.refunds ADD COLUMN record_key VARCHAR;
ALTER TABLE raw.refunds ADD COLUMN record_id BIGINT;
ALTER TABLE raw.refunds ADD COLUMN version_date TIMESTAMP;
ALTER TABLE raw.refunds ADD COLUMN digest VARCHAR;
ALTER TABLE raw.products ADD COLUMN record_key VARCHAR;
ALTER TABLE raw.products ADD COLUMN record_id BIGINT;
ALTER TABLE raw.products ADD COLUMN version_date TIMESTAMP;
ALTER TABLE raw.products ADD COLUMN digest VARCHAR;
ALTER TABLE raw.variations ADD COLUMN record_key VARCHAR;
ALTER TABLE raw.variations ADD COLUMN record_id BIGINT;
ALTER TABLE raw.variations ADD COLUMN version_date TIMESTAMP;
ALTER TABLE raw.variations ADD COLUMN digest VARCHAR;
ALTER TABLE raw.customers ADD COLUMN record_key VARCHAR;
ALTER TABLE raw.customers ADD COLUMN record_id BIGINT;
ALTER TABLE raw.customers ADD COLUMN version_date TIMESTAMP;
ALTER TABLE raw.customers ADD COLUMN digest VARCHAR;
ALTER TABLE raw.tax_rates ADD COLUMN record_key VARCHAR;
ALTER TABLE raw.tax_rates ADD COLUMN record_id BIGINT;
ALTER TABLE raw.tax_rates ADD COLUMN version_date TIMESTAMP;
ALTER TABLE raw.tax_rates ADD COLUMN digest VARCHAR;
