"""Extraction: WooCommerce wc/v3 -> raw tables, in daily partitions; `definitions.defs` is what the code location
merges."""
