-- Records set aside by staging and still open (quarantine.records), per entity and reason, for `woofort sync`'s
-- summary. Params: $shop. Columns: (entity, reason, records, first record keys).
SELECT entity, reason, count(*) AS records, list(record_key ORDER BY record_key)[1:5] AS first_keys
FROM quarantine.records WHERE shop = $shop AND status = 'open'
GROUP BY ALL ORDER BY records DESC, entity, reason;
