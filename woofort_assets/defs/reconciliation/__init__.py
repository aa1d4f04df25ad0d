"""Reconciliation: the Fortnox side of the books mirrored into DuckDB and compared with WooCommerce
(docs/accounting.md §12). `assets` is what definitions.py merges."""
