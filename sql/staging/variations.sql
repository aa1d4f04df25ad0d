-- raw.variations -> staging.variations for the batch ($shop, $run_id): the latest version per variation id
-- (date_modified_gmt, then fetched_at). `parent_id` (the product id) is in the payload (the extraction adds it
-- when /products/{id}/variations omits it). Same tolerated quirks as products. Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_variations_latest AS
SELECT record_key, payload, fetched_at, json_type(payload) AS payload_type,
       json_transform(payload, '{
           "id": "JSON", "parent_id": "JSON", "description": "JSON", "sku": "JSON", "price": "JSON",
           "regular_price": "JSON", "sale_price": "JSON", "status": "JSON", "tax_status": "JSON",
           "tax_class": "JSON", "manage_stock": "JSON", "stock_quantity": "JSON", "stock_status": "JSON",
           "attributes": "JSON", "date_created": "JSON", "date_created_gmt": "JSON", "date_modified": "JSON",
           "date_modified_gmt": "JSON", "meta_data": "JSON"}') AS s
FROM wc_latest('raw.variations', $shop, $run_id, '$.date_modified_gmt');

CREATE OR REPLACE TEMP TABLE stg_variations_parsed AS
SELECT
    record_key, payload, fetched_at,
    CASE
        WHEN payload_type <> 'OBJECT' THEN 'record: ' || left(payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(concat_ws('; ',
            wc_id_reason(s.id, 'id'),
            wc_id_reason(s.parent_id, 'parent_id'),
            wc_opt_money_reason(s.price, 'price'),
            wc_opt_money_reason(s.regular_price, 'regular_price'),
            wc_opt_money_reason(s.sale_price, 'sale_price'),
            wc_opt_num_reason(s.stock_quantity, 'stock_quantity'),
            wc_opt_ts_reason(s.date_created, 'date_created'),
            wc_opt_ts_reason(s.date_created_gmt, 'date_created_gmt'),
            wc_ts_reason(s.date_modified, 'date_modified'),
            wc_ts_reason(s.date_modified_gmt, 'date_modified_gmt')
        ))
    END AS reason,
    wc_int(s.id) AS variation_id,
    wc_int(s.parent_id) AS product_id,
    wc_text(s.description) AS description,
    wc_nstr(s.sku) AS sku,
    wc_opt_money(s.price) AS price,
    wc_opt_money(s.regular_price) AS regular_price,
    wc_opt_money(s.sale_price) AS sale_price,
    wc_text(s.status) AS status,
    wc_text(s.tax_status) AS tax_status,
    wc_text(s.tax_class) AS tax_class,
    CASE WHEN json_type(s.manage_stock) IN ('BOOLEAN', 'VARCHAR') THEN json_extract_string(s.manage_stock, '$') END
        AS manage_stock,
    wc_money(s.stock_quantity) AS stock_quantity,
    wc_text(s.stock_status) AS stock_status,
    s.attributes AS attributes,
    wc_ts(s.date_created) AS date_created,
    wc_ts(s.date_created_gmt) AS date_created_gmt,
    wc_ts(s.date_modified) AS date_modified,
    wc_ts(s.date_modified_gmt) AS date_modified_gmt,
    s.meta_data AS meta_data
FROM stg_variations_latest;

DELETE FROM staging.variations WHERE shop = $shop
    AND variation_id IN (SELECT variation_id FROM stg_variations_parsed WHERE variation_id > 0);

INSERT INTO staging.variations BY NAME
SELECT * EXCLUDE (record_key, payload, fetched_at, reason), $shop AS shop
FROM stg_variations_parsed
WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE stg_outcome AS
SELECT record_key, reason, payload, fetched_at FROM stg_variations_parsed;
