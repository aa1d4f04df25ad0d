"""Local sandboxes of the external APIs woofort talks to (WooCommerce wc/v3, Fortnox)."""
