-- One payload a real run would send. Params: run_id, shop, entity, source_key, action, method, path, payload, note
INSERT INTO ledger.dry_run_payloads (run_id, shop, entity, source_key, action, method, path, payload, note)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
