-- Exact amounts from any store (issue 14, item 6): staging keeps money with 6 decimals. The extraction asks
-- WooCommerce for dp=6 on every orders and refunds request (a store showing 0 decimals otherwise answers rounded
-- totals and taxes), and a fifth or sixth decimal a store keeps (a line total "15.936") now stages instead of being
-- quarantined; a seventh is still refused (sql/staging/_macros.sql, wc_money_reason). The columns widen in place and
-- keep their rows: DECIMAL(18, 4) -> DECIMAL(18, 6) is exact for every amount under 10^12 (the deltas' wf_cents()
-- already casts to DECIMAL(18, 6); a larger one fails this migration rather than being rounded). Quantities, stock
-- and VAT rates keep 4 decimals; currency_rate and line prices had 6 already.
ALTER TABLE staging.orders ALTER COLUMN discount_total SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.orders ALTER COLUMN discount_tax SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.orders ALTER COLUMN shipping_total SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.orders ALTER COLUMN shipping_tax SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.orders ALTER COLUMN cart_tax SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.orders ALTER COLUMN total SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.orders ALTER COLUMN total_tax SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.order_lines ALTER COLUMN subtotal SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.order_lines ALTER COLUMN subtotal_tax SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.order_lines ALTER COLUMN total SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.order_lines ALTER COLUMN total_tax SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.order_coupon_lines ALTER COLUMN discount SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.order_coupon_lines ALTER COLUMN discount_tax SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.order_coupon_lines ALTER COLUMN nominal_amount SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.order_tax_lines ALTER COLUMN tax_total SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.order_tax_lines ALTER COLUMN shipping_tax_total SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.refunds ALTER COLUMN amount SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.refund_lines ALTER COLUMN subtotal SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.refund_lines ALTER COLUMN subtotal_tax SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.refund_lines ALTER COLUMN total SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.refund_lines ALTER COLUMN total_tax SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.products ALTER COLUMN price SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.products ALTER COLUMN regular_price SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.products ALTER COLUMN sale_price SET DATA TYPE DECIMAL(18, 6);

ALTER TABLE staging.variations ALTER COLUMN price SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.variations ALTER COLUMN regular_price SET DATA TYPE DECIMAL(18, 6);
ALTER TABLE staging.variations ALTER COLUMN sale_price SET DATA TYPE DECIMAL(18, 6);
