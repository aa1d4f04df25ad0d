-- WooCommerce's tax of each order and refund line per rate (issue 14, item 4): `taxes[] = [{id, total, subtotal}]`
-- of a line, kept as (rate_id, total). A shipping line or fee a split-tax plugin taxed at several rates is split
-- into one invoice row per rate (sql/deltas/_line_rates.sql), and each row's VAT is then WooCommerce's own tax at
-- that rate to the öre. Rows staged before this migration have NULL and are split by the rule alone (their tax by
-- rate worked out from the net) until the order changes and is staged again.
ALTER TABLE staging.order_lines ADD COLUMN tax_totals STRUCT(rate_id INTEGER, total DECIMAL(18, 6))[];
ALTER TABLE staging.refund_lines ADD COLUMN tax_totals STRUCT(rate_id INTEGER, total DECIMAL(18, 6))[];
