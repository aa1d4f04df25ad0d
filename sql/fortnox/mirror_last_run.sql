-- When the reconciliation mirror last started. Params: shop
SELECT max(started_at) FROM ledger.fortnox_mirror_runs WHERE shop = ?
