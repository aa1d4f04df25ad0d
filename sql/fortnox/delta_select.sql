-- The rows of one delta table for one shop (all columns: the contract's plus any extra, e.g. bookkeep);
-- {table} is a fixed, whitelisted delta table name. Params: shop
SELECT *
FROM deltas.{table}
WHERE shop = ?
ORDER BY order_id NULLS FIRST, source_key
