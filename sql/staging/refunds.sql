-- raw.refunds -> staging.refunds and staging.refund_lines (line_item | shipping | fee) for the batch ($shop, $run_id).
-- Refunds come from /orders/{id}/refunds and from /refunds; `parent_id` (the order id) is in the payload (the
-- extraction adds it when the per-order endpoint omits it). Refunds have no date_modified: the latest version of a
-- refund id is chosen by date_created_gmt, then fetched_at. Refund lines keep WooCommerce's negative signs;
-- shipping and fee lines, which carry no quantity, get quantity -1. Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_refunds_latest AS
SELECT * FROM wc_latest_parsed('raw.refunds', $shop, $run_id, '{
    "id": "JSON", "parent_id": "JSON", "date_created": "JSON", "date_created_gmt": "JSON", "amount": "JSON",
    "reason": "JSON", "refunded_by": "JSON", "refunded_payment": "JSON", "meta_data": "JSON", "line_items": "JSON",
    "shipping_lines": "JSON", "fee_lines": "JSON"}');

CREATE OR REPLACE TEMP TABLE stg_refund_lines_src AS
SELECT * FROM wc_sale_lines('stg_refunds_latest', 'refund');

CREATE OR REPLACE TEMP TABLE stg_records AS
SELECT
    r.record_key, r.payload, r.fetched_at,
    wc_record_reason(r.payload, r.payload_type, concat_ws('; ',
        wc_id_reason(s.id, 'id'), wc_id_reason(s.parent_id, 'parent_id'),
        wc_ts_reason(s.date_created, 'date_created'), wc_ts_reason(s.date_created_gmt, 'date_created_gmt'),
        wc_money_reason(s.amount, 'amount'), wc_ref_reason(s.refunded_by, 'refunded_by'),
        wc_sale_lists_reason(s, false), lr.reason)) AS reason,
    wc_int(s.id) AS refund_id, wc_int(s.parent_id) AS order_id,
    wc_ts(s.date_created) AS date_created, wc_ts(s.date_created_gmt) AS date_created_gmt,
    wc_money(s.amount) AS amount, wc_text(s.reason) AS reason_text,
    wc_int(s.refunded_by) AS refunded_by, wc_bool(s.refunded_payment) AS refunded_payment,
    s.meta_data AS meta_data
FROM stg_refunds_latest r
LEFT JOIN wc_lines_reason('stg_refund_lines_src') lr USING (record_key);

DELETE FROM staging.refund_lines WHERE shop = $shop
    AND refund_id IN (SELECT refund_id FROM stg_records WHERE refund_id > 0);

DELETE FROM staging.refunds WHERE shop = $shop
    AND refund_id IN (SELECT refund_id FROM stg_records WHERE refund_id > 0);

INSERT INTO staging.refunds BY NAME
SELECT $shop AS shop, refund_id, order_id, date_created, date_created_gmt, amount, reason_text AS reason,
       refunded_by, refunded_payment, meta_data
FROM stg_records
WHERE reason IS NULL;

INSERT INTO staging.refund_lines BY NAME
SELECT $shop AS shop, r.refund_id, r.order_id, l.line_id, l.line_type, l.refunded_item_id, l.name, l.product_id,
       l.variation_id, l.sku, l.quantity, l.tax_class, l.subtotal, l.subtotal_tax, l.total, l.total_tax, l.tax_rate_ids,
       l.tax_totals
FROM stg_refund_lines_src l JOIN stg_records r USING (record_key)
WHERE r.reason IS NULL;
