-- Raw: every fetched version of every WooCommerce record, unchanged, with its fetch time.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS quarantine;

CREATE TABLE raw.orders      (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);
CREATE TABLE raw.refunds     (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);
CREATE TABLE raw.products    (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);
CREATE TABLE raw.variations  (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);
CREATE TABLE raw.customers   (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);
CREATE TABLE raw.tax_rates   (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);
CREATE TABLE raw.tax_classes (shop VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, payload JSON NOT NULL);

-- Staging: the latest version per natural key, typed; money is DECIMAL, never DOUBLE.
CREATE TABLE staging.orders (
    shop VARCHAR NOT NULL,
    order_id BIGINT NOT NULL,
    parent_id BIGINT,
    number VARCHAR,
    order_key VARCHAR,
    created_via VARCHAR,
    status VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    prices_include_tax BOOLEAN NOT NULL,
    date_created TIMESTAMP NOT NULL,
    date_created_gmt TIMESTAMP NOT NULL,
    date_modified TIMESTAMP NOT NULL,
    date_modified_gmt TIMESTAMP NOT NULL,
    date_paid TIMESTAMP,
    date_paid_gmt TIMESTAMP,
    date_completed TIMESTAMP,
    date_completed_gmt TIMESTAMP,
    discount_total DECIMAL(18, 4) NOT NULL,
    discount_tax DECIMAL(18, 4) NOT NULL,
    shipping_total DECIMAL(18, 4) NOT NULL,
    shipping_tax DECIMAL(18, 4) NOT NULL,
    cart_tax DECIMAL(18, 4) NOT NULL,
    total DECIMAL(18, 4) NOT NULL,
    total_tax DECIMAL(18, 4) NOT NULL,
    customer_id BIGINT NOT NULL,
    customer_note VARCHAR,
    billing_first_name VARCHAR, billing_last_name VARCHAR, billing_company VARCHAR,
    billing_address_1 VARCHAR, billing_address_2 VARCHAR, billing_city VARCHAR, billing_state VARCHAR,
    billing_postcode VARCHAR, billing_country VARCHAR, billing_email VARCHAR, billing_phone VARCHAR,
    billing_vat_number VARCHAR,
    shipping_first_name VARCHAR, shipping_last_name VARCHAR, shipping_company VARCHAR,
    shipping_address_1 VARCHAR, shipping_address_2 VARCHAR, shipping_city VARCHAR, shipping_state VARCHAR,
    shipping_postcode VARCHAR, shipping_country VARCHAR,
    payment_method VARCHAR,
    payment_method_title VARCHAR,
    transaction_id VARCHAR,
    currency_rate DECIMAL(18, 6),
    meta_data JSON,
    PRIMARY KEY (shop, order_id)
);

-- Line items, shipping lines and fee lines of an order, one row each, told apart by line_type.
CREATE TABLE staging.order_lines (
    shop VARCHAR NOT NULL,
    order_id BIGINT NOT NULL,
    line_id BIGINT NOT NULL,
    line_type VARCHAR NOT NULL,          -- 'line_item' | 'shipping' | 'fee'
    name VARCHAR,
    product_id BIGINT,
    variation_id BIGINT,
    sku VARCHAR,
    quantity DECIMAL(18, 4) NOT NULL,    -- 1 for shipping and fee lines
    tax_class VARCHAR,
    tax_status VARCHAR,
    price DECIMAL(18, 6),                -- line_items[].price arrives as a float; parsed from its text
    subtotal DECIMAL(18, 4) NOT NULL,
    subtotal_tax DECIMAL(18, 4) NOT NULL,
    total DECIMAL(18, 4) NOT NULL,
    total_tax DECIMAL(18, 4) NOT NULL,
    tax_rate_ids INTEGER[],
    method_id VARCHAR,
    meta_data JSON,
    PRIMARY KEY (shop, order_id, line_id)
);

CREATE TABLE staging.order_coupon_lines (
    shop VARCHAR NOT NULL,
    order_id BIGINT NOT NULL,
    line_id BIGINT NOT NULL,
    code VARCHAR NOT NULL,
    discount DECIMAL(18, 4) NOT NULL,
    discount_tax DECIMAL(18, 4) NOT NULL,
    discount_type VARCHAR,
    nominal_amount DECIMAL(18, 4),
    PRIMARY KEY (shop, order_id, line_id)
);

CREATE TABLE staging.order_tax_lines (
    shop VARCHAR NOT NULL,
    order_id BIGINT NOT NULL,
    line_id BIGINT NOT NULL,
    rate_id BIGINT,
    rate_code VARCHAR,
    label VARCHAR,
    compound BOOLEAN,
    tax_total DECIMAL(18, 4) NOT NULL,
    shipping_tax_total DECIMAL(18, 4) NOT NULL,
    rate_percent DECIMAL(9, 4),
    PRIMARY KEY (shop, order_id, line_id)
);

CREATE TABLE staging.refunds (
    shop VARCHAR NOT NULL,
    refund_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    date_created TIMESTAMP NOT NULL,
    date_created_gmt TIMESTAMP NOT NULL,
    amount DECIMAL(18, 4) NOT NULL,      -- positive, as WooCommerce sends it
    reason VARCHAR,
    refunded_by BIGINT,
    refunded_payment BOOLEAN,
    meta_data JSON,
    PRIMARY KEY (shop, refund_id)
);

-- Refund lines carry negative quantities and amounts, as WooCommerce sends them.
CREATE TABLE staging.refund_lines (
    shop VARCHAR NOT NULL,
    refund_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    line_id BIGINT NOT NULL,
    line_type VARCHAR NOT NULL,          -- 'line_item' | 'shipping' | 'fee'
    refunded_item_id BIGINT,             -- the order line it refunds (meta _refunded_item_id)
    name VARCHAR,
    product_id BIGINT,
    variation_id BIGINT,
    sku VARCHAR,
    quantity DECIMAL(18, 4) NOT NULL,
    tax_class VARCHAR,
    subtotal DECIMAL(18, 4) NOT NULL,
    subtotal_tax DECIMAL(18, 4) NOT NULL,
    total DECIMAL(18, 4) NOT NULL,
    total_tax DECIMAL(18, 4) NOT NULL,
    tax_rate_ids INTEGER[],
    PRIMARY KEY (shop, refund_id, line_id)
);

CREATE TABLE staging.products (
    shop VARCHAR NOT NULL,
    product_id BIGINT NOT NULL,
    parent_id BIGINT,
    name VARCHAR NOT NULL,
    slug VARCHAR,
    type VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    sku VARCHAR,
    price DECIMAL(18, 4),
    regular_price DECIMAL(18, 4),
    sale_price DECIMAL(18, 4),
    tax_status VARCHAR,
    tax_class VARCHAR,
    manage_stock BOOLEAN,
    stock_quantity DECIMAL(18, 4),
    stock_status VARCHAR,
    is_virtual BOOLEAN,
    downloadable BOOLEAN,
    variation_ids BIGINT[],
    date_created TIMESTAMP,
    date_created_gmt TIMESTAMP,
    date_modified TIMESTAMP NOT NULL,
    date_modified_gmt TIMESTAMP NOT NULL,
    meta_data JSON,
    PRIMARY KEY (shop, product_id)
);

CREATE TABLE staging.variations (
    shop VARCHAR NOT NULL,
    variation_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    description VARCHAR,
    sku VARCHAR,
    price DECIMAL(18, 4),
    regular_price DECIMAL(18, 4),
    sale_price DECIMAL(18, 4),
    status VARCHAR,
    tax_status VARCHAR,
    tax_class VARCHAR,              -- 'parent' means the product's class
    manage_stock VARCHAR,           -- true | false | 'parent'
    stock_quantity DECIMAL(18, 4),
    stock_status VARCHAR,
    attributes JSON,
    date_created TIMESTAMP,
    date_created_gmt TIMESTAMP,
    date_modified TIMESTAMP NOT NULL,
    date_modified_gmt TIMESTAMP NOT NULL,
    meta_data JSON,
    PRIMARY KEY (shop, variation_id)
);

CREATE TABLE staging.customers (
    shop VARCHAR NOT NULL,
    customer_id BIGINT NOT NULL,
    email VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    role VARCHAR,
    username VARCHAR,
    is_paying_customer BOOLEAN,
    billing_first_name VARCHAR, billing_last_name VARCHAR, billing_company VARCHAR,
    billing_address_1 VARCHAR, billing_address_2 VARCHAR, billing_city VARCHAR, billing_state VARCHAR,
    billing_postcode VARCHAR, billing_country VARCHAR, billing_email VARCHAR, billing_phone VARCHAR,
    shipping_first_name VARCHAR, shipping_last_name VARCHAR, shipping_company VARCHAR,
    shipping_address_1 VARCHAR, shipping_address_2 VARCHAR, shipping_city VARCHAR, shipping_state VARCHAR,
    shipping_postcode VARCHAR, shipping_country VARCHAR,
    date_created TIMESTAMP,
    date_created_gmt TIMESTAMP,
    date_modified TIMESTAMP,
    date_modified_gmt TIMESTAMP,
    meta_data JSON,
    PRIMARY KEY (shop, customer_id)
);

CREATE TABLE staging.tax_rates (
    shop VARCHAR NOT NULL,
    tax_rate_id BIGINT NOT NULL,
    country VARCHAR,
    state VARCHAR,
    rate DECIMAL(9, 4) NOT NULL,
    name VARCHAR,
    priority INTEGER,
    compound BOOLEAN,
    shipping BOOLEAN,
    tax_class VARCHAR NOT NULL,     -- 'standard' for the standard class, as /taxes sends it
    PRIMARY KEY (shop, tax_rate_id)
);

CREATE TABLE staging.tax_classes (
    shop VARCHAR NOT NULL,
    slug VARCHAR NOT NULL,
    name VARCHAR,
    PRIMARY KEY (shop, slug)
);

-- Records that could not be parsed, with their raw JSON and the reason; the rest proceeds.
CREATE TABLE quarantine.records (
    shop VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,        -- orders | refunds | products | variations | customers | tax_rates | tax_classes
    record_key VARCHAR NOT NULL,    -- the natural key as text, or '#<hash>' when the record has none
    reason VARCHAR NOT NULL,
    payload JSON NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status VARCHAR NOT NULL DEFAULT 'open',   -- open | skipped
    PRIMARY KEY (shop, entity, record_key)
);
