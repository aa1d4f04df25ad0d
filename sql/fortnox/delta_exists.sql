-- Whether a delta table has been built yet. Params: table name
SELECT count(*) FROM information_schema.tables WHERE table_schema = 'deltas' AND table_name = ?
