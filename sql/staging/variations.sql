-- raw.variations -> staging.variations for the batch ($shop, $run_id): the latest version per variation id
-- (date_modified_gmt, then fetched_at). `parent_id` (the product id) is in the payload (the extraction adds it
-- when /products/{id}/variations omits it). Same tolerated quirks as products. Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_records AS
SELECT
    record_key, payload, fetched_at,
    wc_record_reason(payload, payload_type, concat_ws('; ', wc_id_reason(s.id, 'id'),
        wc_id_reason(s.parent_id, 'parent_id'), wc_price_and_stock_reason(s), wc_dates_reason(s, false, true)))
        AS reason,
    wc_int(s.id) AS variation_id,
    wc_int(s.parent_id) AS product_id,
    wc_text(s.description) AS description,
    unnest(wc_price_and_stock(s)),
    wc_text(s.status) AS status,
    CASE WHEN json_type(s.manage_stock) IN ('BOOLEAN', 'VARCHAR') THEN json_extract_string(s.manage_stock, '$') END
        AS manage_stock,
    s.attributes AS attributes,
    unnest(wc_dates(s)),
    s.meta_data AS meta_data
FROM wc_latest_parsed('raw.variations', $shop, $run_id, '{
    "id": "JSON", "parent_id": "JSON", "description": "JSON", "sku": "JSON", "price": "JSON",
    "regular_price": "JSON", "sale_price": "JSON", "status": "JSON", "tax_status": "JSON",
    "tax_class": "JSON", "manage_stock": "JSON", "stock_quantity": "JSON", "stock_status": "JSON",
    "attributes": "JSON", "date_created": "JSON", "date_created_gmt": "JSON", "date_modified": "JSON",
    "date_modified_gmt": "JSON", "meta_data": "JSON"}');

DELETE FROM staging.variations WHERE shop = $shop
    AND variation_id IN (SELECT variation_id FROM stg_records WHERE variation_id > 0);

INSERT INTO staging.variations BY NAME SELECT * FROM wc_staged('stg_records', $shop);
