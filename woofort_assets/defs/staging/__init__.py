"""Staging: raw -> typed staging tables (sql/staging/*.sql) checked by pandera (`schemas`); `definitions.defs` is
what the code location merges."""
