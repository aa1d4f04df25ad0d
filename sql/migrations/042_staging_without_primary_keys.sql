-- The staged order tables without their PRIMARY KEYs (issue #16, B4). A key's index is loaded to check every
-- insert and written again, whole, at each checkpoint: with 1,000,000 orders of history that cost a staging step
-- about 1.4 s whatever the batch (docs/performance.md "B4"). Uniqueness is kept where it is decided: staging
-- writes one version per record and quarantines an order or refund whose line ids repeat (sql/staging/_macros.sql
-- wc_list_lines), and the staging contracts check the keys unique (woofort_assets/defs/staging/schemas). The keys
-- stay NOT NULL.

CREATE TABLE staging.orders_new (
    shop VARCHAR NOT NULL, order_id BIGINT NOT NULL, parent_id BIGINT, number VARCHAR, order_key VARCHAR,
    created_via VARCHAR, status VARCHAR NOT NULL, currency VARCHAR NOT NULL, prices_include_tax BOOLEAN NOT NULL,
    date_created TIMESTAMP NOT NULL, date_created_gmt TIMESTAMP NOT NULL, date_modified TIMESTAMP NOT NULL,
    date_modified_gmt TIMESTAMP NOT NULL, date_paid TIMESTAMP, date_paid_gmt TIMESTAMP, date_completed TIMESTAMP,
    date_completed_gmt TIMESTAMP, discount_total DECIMAL(18,6) NOT NULL, discount_tax DECIMAL(18,6) NOT NULL,
    shipping_total DECIMAL(18,6) NOT NULL, shipping_tax DECIMAL(18,6) NOT NULL, cart_tax DECIMAL(18,6) NOT NULL,
    total DECIMAL(18,6) NOT NULL, total_tax DECIMAL(18,6) NOT NULL, customer_id BIGINT NOT NULL,
    customer_note VARCHAR, billing_first_name VARCHAR, billing_last_name VARCHAR, billing_company VARCHAR,
    billing_address_1 VARCHAR, billing_address_2 VARCHAR, billing_city VARCHAR, billing_state VARCHAR,
    billing_postcode VARCHAR, billing_country VARCHAR, billing_email VARCHAR, billing_phone VARCHAR,
    shipping_first_name VARCHAR, shipping_last_name VARCHAR, shipping_company VARCHAR, shipping_address_1 VARCHAR,
    shipping_address_2 VARCHAR, shipping_city VARCHAR, shipping_state VARCHAR, shipping_postcode VARCHAR,
    shipping_country VARCHAR, payment_method VARCHAR, payment_method_title VARCHAR, transaction_id VARCHAR,
    currency_rate DECIMAL(18,6), meta_data JSON);
INSERT INTO staging.orders_new BY NAME SELECT * FROM staging.orders;
DROP TABLE staging.orders;
ALTER TABLE staging.orders_new RENAME TO orders;

CREATE TABLE staging.order_lines_new (
    shop VARCHAR NOT NULL, order_id BIGINT NOT NULL, line_id BIGINT NOT NULL, line_type VARCHAR NOT NULL,
    "name" VARCHAR, product_id BIGINT, variation_id BIGINT, sku VARCHAR, quantity DECIMAL(18,4) NOT NULL,
    tax_class VARCHAR, tax_status VARCHAR, price DECIMAL(18,6), subtotal DECIMAL(18,6) NOT NULL,
    subtotal_tax DECIMAL(18,6) NOT NULL, total DECIMAL(18,6) NOT NULL, total_tax DECIMAL(18,6) NOT NULL,
    tax_rate_ids INTEGER[], method_id VARCHAR, meta_data JSON,
    tax_totals STRUCT(rate_id INTEGER, total DECIMAL(18,6))[]);
INSERT INTO staging.order_lines_new BY NAME SELECT * FROM staging.order_lines;
DROP TABLE staging.order_lines;
ALTER TABLE staging.order_lines_new RENAME TO order_lines;

CREATE TABLE staging.order_coupon_lines_new (
    shop VARCHAR NOT NULL, order_id BIGINT NOT NULL, line_id BIGINT NOT NULL, code VARCHAR NOT NULL,
    discount DECIMAL(18,6) NOT NULL, discount_tax DECIMAL(18,6) NOT NULL, discount_type VARCHAR,
    nominal_amount DECIMAL(18,6));
INSERT INTO staging.order_coupon_lines_new BY NAME SELECT * FROM staging.order_coupon_lines;
DROP TABLE staging.order_coupon_lines;
ALTER TABLE staging.order_coupon_lines_new RENAME TO order_coupon_lines;

CREATE TABLE staging.order_tax_lines_new (
    shop VARCHAR NOT NULL, order_id BIGINT NOT NULL, line_id BIGINT NOT NULL, rate_id BIGINT, rate_code VARCHAR,
    "label" VARCHAR, compound BOOLEAN, tax_total DECIMAL(18,6) NOT NULL, shipping_tax_total DECIMAL(18,6) NOT NULL,
    rate_percent DECIMAL(9,4));
INSERT INTO staging.order_tax_lines_new BY NAME SELECT * FROM staging.order_tax_lines;
DROP TABLE staging.order_tax_lines;
ALTER TABLE staging.order_tax_lines_new RENAME TO order_tax_lines;

CREATE TABLE staging.refunds_new (
    shop VARCHAR NOT NULL, refund_id BIGINT NOT NULL, order_id BIGINT NOT NULL, date_created TIMESTAMP NOT NULL,
    date_created_gmt TIMESTAMP NOT NULL, amount DECIMAL(18,6) NOT NULL, reason VARCHAR, refunded_by BIGINT,
    refunded_payment BOOLEAN, meta_data JSON);
INSERT INTO staging.refunds_new BY NAME SELECT * FROM staging.refunds;
DROP TABLE staging.refunds;
ALTER TABLE staging.refunds_new RENAME TO refunds;

CREATE TABLE staging.refund_lines_new (
    shop VARCHAR NOT NULL, refund_id BIGINT NOT NULL, order_id BIGINT NOT NULL, line_id BIGINT NOT NULL,
    line_type VARCHAR NOT NULL, refunded_item_id BIGINT, "name" VARCHAR, product_id BIGINT, variation_id BIGINT,
    sku VARCHAR, quantity DECIMAL(18,4) NOT NULL, tax_class VARCHAR, subtotal DECIMAL(18,6) NOT NULL,
    subtotal_tax DECIMAL(18,6) NOT NULL, total DECIMAL(18,6) NOT NULL, total_tax DECIMAL(18,6) NOT NULL,
    tax_rate_ids INTEGER[], tax_totals STRUCT(rate_id INTEGER, total DECIMAL(18,6))[]);
INSERT INTO staging.refund_lines_new BY NAME SELECT * FROM staging.refund_lines;
DROP TABLE staging.refund_lines;
ALTER TABLE staging.refund_lines_new RENAME TO refund_lines;
