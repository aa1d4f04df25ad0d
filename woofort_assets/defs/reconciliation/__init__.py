"""Reconciliation: the Fortnox side of the books mirrored into DuckDB and compared with WooCommerce
(docs/accounting.md §12). `definitions.defs` is what the code location merges."""
