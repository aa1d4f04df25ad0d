-- invoicing.mode daily_vouchers (sql/deltas/daily_voucher_delta.sql): the rows each order's sale and refunds add to
-- their day's voucher, kept between builds so that a build prices only the orders that changed and still knows
-- what every day must hold. amount: debit positive, SEK.
CREATE TABLE IF NOT EXISTS deltas.voucher_lines (shop VARCHAR, order_id BIGINT, member VARCHAR, voucher_date DATE,
                                                 payment_method VARCHAR, account INTEGER, vat_rate DECIMAL(9, 4),
                                                 amount DECIMAL(18, 2));
