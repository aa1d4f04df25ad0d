-- The store's base currency as WooCommerce last reported it (settings/general woocommerce_currency), read with every
-- orders crawl; the Fortnox preflight refuses to write when it is not the company's (docs/accounting.md "Foreign
-- currency"): a store kept in EUR would have its EUR amounts booked as if they were SEK.
CREATE TABLE staging.store_settings (
    shop VARCHAR NOT NULL PRIMARY KEY,
    currency VARCHAR NOT NULL,
    read_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
