-- raw.refunds -> staging.refunds and staging.refund_lines (line_item | shipping | fee) for the batch ($shop, $run_id).
-- Refunds come from /orders/{id}/refunds and from /refunds; `parent_id` (the order id) is in the payload (the
-- extraction adds it when the per-order endpoint omits it). Refunds have no date_modified: the latest version of a
-- refund id is chosen by date_created_gmt, then fetched_at. Refund lines keep WooCommerce's negative signs;
-- shipping and fee lines, which carry no quantity, get quantity -1. Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_refunds_latest AS
SELECT record_key, payload, fetched_at, json_type(payload) AS payload_type,
       json_transform(payload, '{
           "id": "JSON", "parent_id": "JSON", "date_created": "JSON", "date_created_gmt": "JSON", "amount": "JSON",
           "reason": "JSON", "refunded_by": "JSON", "refunded_payment": "JSON", "meta_data": "JSON",
           "line_items": "JSON", "shipping_lines": "JSON", "fee_lines": "JSON"}') AS s
FROM wc_latest('raw.refunds', $shop, $run_id, '$.date_created_gmt');

CREATE OR REPLACE TEMP TABLE stg_refund_lines_src AS
WITH lists AS (
    SELECT record_key, 1 AS type_order, 'line_item' AS line_type, 'line_items' AS list_name,
           wc_items(s.line_items) AS items
    FROM stg_refunds_latest
    UNION ALL
    SELECT record_key, 2, 'shipping', 'shipping_lines', wc_items(s.shipping_lines) FROM stg_refunds_latest
    UNION ALL
    SELECT record_key, 3, 'fee', 'fee_lines', wc_items(s.fee_lines) FROM stg_refunds_latest
),
items AS (
    SELECT record_key, type_order, line_type, list_name,
           generate_subscripts(items, 1) - 1 AS idx, unnest(items) AS j
    FROM lists
),
parsed AS (
    SELECT *, list_name || '[' || idx || '].' AS p,
           json_transform(j, '{
               "id": "JSON", "name": "JSON", "method_title": "JSON", "product_id": "JSON", "variation_id": "JSON",
               "sku": "JSON", "quantity": "JSON", "tax_class": "JSON", "subtotal": "JSON", "subtotal_tax": "JSON",
               "total": "JSON", "total_tax": "JSON", "taxes": "JSON", "meta_data": "JSON"}') AS l
    FROM items
),
typed AS (
    SELECT
        record_key, type_order, idx, j, p, l,
        wc_int(l.id) AS line_id,
        line_type,
        TRY_CAST(wc_meta(l.meta_data, '_refunded_item_id') AS BIGINT) AS refunded_item_id,
        wc_text(CASE line_type WHEN 'shipping' THEN l.method_title ELSE l.name END) AS name,
        wc_int(l.product_id) AS product_id,
        wc_int(l.variation_id) AS variation_id,
        wc_nstr(l.sku) AS sku,
        CASE WHEN line_type = 'line_item' OR NOT wc_absent(l.quantity) THEN wc_money(l.quantity)
             ELSE -1 END::DECIMAL(18, 4) AS quantity,
        wc_text(l.tax_class) AS tax_class,
        wc_money(CASE line_type WHEN 'line_item' THEN l.subtotal ELSE l.total END) AS subtotal,
        wc_money(CASE line_type WHEN 'line_item' THEN l.subtotal_tax ELSE l.total_tax END) AS subtotal_tax,
        wc_money(l.total) AS total,
        wc_money(l.total_tax) AS total_tax,
        wc_tax_rate_ids(l.taxes) AS tax_rate_ids
    FROM parsed
)
SELECT
    * EXCLUDE (l),
    wc_reasons(concat_ws('; ',
        wc_object_reason(j, rtrim(p, '.')),
        wc_id_reason(l.id, p || 'id'),
        CASE WHEN line_type = 'line_item' OR NOT wc_absent(l.quantity)
             THEN wc_qty_reason(l.quantity, p || 'quantity', true) END,
        CASE WHEN line_type = 'line_item' THEN wc_money_reason(l.subtotal, p || 'subtotal') END,
        CASE WHEN line_type = 'line_item' THEN wc_money_reason(l.subtotal_tax, p || 'subtotal_tax') END,
        wc_money_reason(l.total, p || 'total'),
        wc_money_reason(l.total_tax, p || 'total_tax'),
        CASE WHEN line_id IS NOT NULL AND count(*) OVER (PARTITION BY record_key, line_id) > 1
             THEN p || 'id: ' || line_id || ' is not unique in the refund' END
    )) AS reason
FROM typed;

CREATE OR REPLACE TEMP TABLE stg_refunds_parsed AS
WITH line_reasons AS (
    SELECT record_key, string_agg(reason, '; ' ORDER BY type_order, idx) AS reason
    FROM stg_refund_lines_src WHERE reason IS NOT NULL GROUP BY record_key
)
SELECT
    r.record_key, r.payload, r.fetched_at,
    CASE
        WHEN r.payload_type <> 'OBJECT' THEN 'record: ' || left(r.payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(concat_ws('; ',
            wc_id_reason(s.id, 'id'),
            wc_id_reason(s.parent_id, 'parent_id'),
            wc_ts_reason(s.date_created, 'date_created'),
            wc_ts_reason(s.date_created_gmt, 'date_created_gmt'),
            wc_money_reason(s.amount, 'amount'),
            wc_ref_reason(s.refunded_by, 'refunded_by'),
            wc_array_reason(s.line_items, 'line_items', false),
            wc_array_reason(s.shipping_lines, 'shipping_lines', false),
            wc_array_reason(s.fee_lines, 'fee_lines', false),
            lr.reason
        ))
    END AS reason,
    wc_int(s.id) AS refund_id,
    wc_int(s.parent_id) AS order_id,
    wc_ts(s.date_created) AS date_created,
    wc_ts(s.date_created_gmt) AS date_created_gmt,
    wc_money(s.amount) AS amount,
    wc_text(s.reason) AS reason_text,
    wc_int(s.refunded_by) AS refunded_by,
    wc_bool(s.refunded_payment) AS refunded_payment,
    s.meta_data AS meta_data
FROM stg_refunds_latest r
LEFT JOIN line_reasons lr USING (record_key);

DELETE FROM staging.refund_lines WHERE shop = $shop
    AND refund_id IN (SELECT refund_id FROM stg_refunds_parsed WHERE refund_id > 0);

DELETE FROM staging.refunds WHERE shop = $shop
    AND refund_id IN (SELECT refund_id FROM stg_refunds_parsed WHERE refund_id > 0);

INSERT INTO staging.refunds BY NAME
SELECT $shop AS shop, refund_id, order_id, date_created, date_created_gmt, amount, reason_text AS reason,
       refunded_by, refunded_payment, meta_data
FROM stg_refunds_parsed
WHERE reason IS NULL;

INSERT INTO staging.refund_lines BY NAME
SELECT $shop AS shop, r.refund_id, r.order_id, l.line_id, l.line_type, l.refunded_item_id, l.name, l.product_id,
       l.variation_id, l.sku, l.quantity, l.tax_class, l.subtotal, l.subtotal_tax, l.total, l.total_tax, l.tax_rate_ids
FROM stg_refund_lines_src l JOIN stg_refunds_parsed r USING (record_key)
WHERE r.reason IS NULL;

CREATE OR REPLACE TEMP TABLE stg_outcome AS
SELECT record_key, reason, payload, fetched_at FROM stg_refunds_parsed;
