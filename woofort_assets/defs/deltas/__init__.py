"""Deltas: staging + ledger -> what the Fortnox sink must write (sql/deltas/*.sql, group "deltas").

`assets` is the list definitions.py merges; `build.build_delta` is the one code path (assets and tests)."""
