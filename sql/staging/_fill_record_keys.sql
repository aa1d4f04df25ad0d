-- The key, integer id (NULL for a '#md5' key), version date and digest of the raw rows of one entity that staging
-- has not seen yet (migration 038): parsed once per raw row, so that wc_latest ranks a record's versions on these
-- narrow columns instead of the JSON of the shop's history. lib/staging.py runs it on the batch entity's raw table
-- (substituted for the placeholder) before the batch's transaction: an idempotent cache of the payload, valid
-- whether the batch commits or not. $version_path: the JSON path of the date that orders a record's versions
-- (lib/staging.py VERSION_DATE_PATHS), NULL for records without one (the latest fetch wins). Needs _macros.sql.
UPDATE {raw_table}
SET record_key = wc_record_key(payload),
    record_id = NULLIF(wc_int(json_extract(payload, '$.id')), 0),
    version_date = wc_ts(json_extract(payload, $version_path)),
    digest = md5(payload::VARCHAR)
WHERE shop = $shop AND record_key IS NULL;
