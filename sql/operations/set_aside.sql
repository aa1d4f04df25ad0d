-- What one sync run set aside, for `woofort sync`'s summary and its exit code 3 (cli/sync.py): records
-- quarantined, documents dead-lettered, and invoiced orders that vanished from WooCommerce, each since the run
-- started. One row per record: (kind, entity, key, reason), kind one of 'quarantine', 'dead-letter', 'vanished'.
-- Params: $shop (shop key), $since (TIMESTAMPTZ: when the run started; only rows quarantined, failed or seen
-- from then on count)
SELECT 'quarantine' AS kind, entity, record_key, reason FROM quarantine.records
 WHERE shop = $shop AND status = 'open' AND quarantined_at >= $since
UNION ALL
SELECT 'dead-letter', entity, source_key, coalesce(error_code::VARCHAR || ' ', '') || error_message
  FROM ledger.dead_letter
 WHERE shop = $shop AND status = 'open' AND last_failed_at >= $since
UNION ALL
SELECT 'vanished', 'invoice', CAST(order_id AS VARCHAR),
       'order ' || state || ' in WooCommerce after invoice ' || coalesce(fortnox_number, '?')
       || ' was created: credit it in Fortnox or restore the order'
  FROM ledger.vanished_orders
 WHERE shop = $shop AND last_seen_at >= $since
ORDER BY 1, 2, 3
