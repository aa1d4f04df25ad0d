-- An invoiced order the shop no longer has. Params: shop, order_id, fortnox_number, state (trashed | deleted)
INSERT INTO ledger.vanished_orders AS v (shop, order_id, fortnox_number, state) VALUES (?, ?, ?, ?)
ON CONFLICT (shop, order_id) DO UPDATE SET fortnox_number = excluded.fortnox_number, state = excluded.state,
    last_seen_at = now()
