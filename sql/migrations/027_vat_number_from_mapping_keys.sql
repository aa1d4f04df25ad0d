-- The buyer's VAT number is read by the deltas under the meta keys the mapping lists (customers.
-- vat_number_meta_keys, woofort_assets/lib/buyers.py), not fixed at staging time under three keys: the column
-- staging filled goes, and staging.orders.meta_data keeps every key.
ALTER TABLE staging.orders DROP COLUMN billing_vat_number;
