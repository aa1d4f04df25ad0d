"""Deltas: staging + ledger -> what the Fortnox sink must write (sql/deltas/*.sql, group "deltas").

`definitions.defs` is what the code location merges; `build.build_deltas` is the one code path (assets and tests)."""
