-- One reconciliation mirror run. Params: shop, started_at, listed, fetched, api_calls
INSERT INTO ledger.fortnox_mirror_runs VALUES (?, ?, ?, ?, ?)
