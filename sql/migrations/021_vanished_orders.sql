-- Orders invoiced in Fortnox that later vanished from WooCommerce (trashed or deleted): found by the asset check
-- fortnox/invoices:vanished_orders, listed by `woofort sync` (exit code 3) until they are resolved (the order is
-- restored, or the invoice is credited/cancelled: then the row is removed on the next check).
CREATE TABLE ledger.vanished_orders (
    shop VARCHAR NOT NULL,
    order_id BIGINT NOT NULL,
    fortnox_number VARCHAR,           -- the invoice that stays in Fortnox
    state VARCHAR NOT NULL,           -- trashed | deleted
    first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, order_id)
);
