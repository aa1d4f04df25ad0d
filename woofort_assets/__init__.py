"""woofort: books a WooCommerce shop's sales in Fortnox through a Dagster pipeline."""
