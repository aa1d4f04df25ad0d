-- The rows of one delta table for one shop (all columns: the contract's plus any extra, e.g. bookkeep),
-- except records an operator skipped in the dead-letter list (`woofort deadletter skip`).
-- {table} is a fixed, whitelisted delta table name. Params: shop
SELECT d.*
FROM deltas.{table} AS d
WHERE d.shop = ?
  AND NOT EXISTS (
      SELECT 1 FROM ledger.dead_letter AS l
      WHERE l.shop = d.shop AND l.entity = d.entity AND l.source_key = d.source_key AND l.status = 'skipped'
  )
ORDER BY d.order_id NULLS FIRST, d.source_key
