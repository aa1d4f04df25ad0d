-- raw.products -> staging.products for the batch ($shop, $run_id): the latest version per product id
-- (date_modified_gmt, then fetched_at). Tolerated quirks: price/regular_price/sale_price "" or boolean -> NULL,
-- sku false/"" -> NULL, parent_id not an integer -> NULL. Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_records AS
SELECT
    record_key, payload, fetched_at,
    wc_record_reason(payload, payload_type, concat_ws('; ', wc_id_reason(s.id, 'id'), wc_str_reason(s.name, 'name'),
        wc_str_reason(s.type, 'type'), wc_str_reason(s.status, 'status'), wc_price_and_stock_reason(s),
        wc_dates_reason(s, false, true))) AS reason,
    wc_int(s.id) AS product_id,
    wc_int(s.parent_id) AS parent_id,
    wc_text(s.name) AS name,
    wc_text(s.slug) AS slug,
    wc_text(s.type) AS type,
    wc_text(s.status) AS status,
    unnest(wc_price_and_stock(s)),
    wc_bool(s.manage_stock) AS manage_stock,
    wc_bool(s.virtual) AS is_virtual,
    wc_bool(s.downloadable) AS downloadable,
    CASE WHEN json_type(s.variations) = 'ARRAY' THEN
        list_filter(list_transform(json_extract(s.variations, '$[*]'), lambda x: wc_int(x)), lambda x: x IS NOT NULL)
    END AS variation_ids,
    unnest(wc_dates(s)),
    s.meta_data AS meta_data
FROM wc_latest_parsed('raw.products', $shop, $run_id, '{
    "id": "JSON", "parent_id": "JSON", "name": "JSON", "slug": "JSON", "type": "JSON", "status": "JSON",
    "sku": "JSON", "price": "JSON", "regular_price": "JSON", "sale_price": "JSON", "tax_status": "JSON",
    "tax_class": "JSON", "manage_stock": "JSON", "stock_quantity": "JSON", "stock_status": "JSON",
    "virtual": "JSON", "downloadable": "JSON", "variations": "JSON", "date_created": "JSON",
    "date_created_gmt": "JSON", "date_modified": "JSON", "date_modified_gmt": "JSON", "meta_data": "JSON"}');

DELETE FROM staging.products WHERE shop = $shop
    AND product_id IN (SELECT product_id FROM stg_records WHERE product_id > 0);

INSERT INTO staging.products BY NAME SELECT * FROM wc_staged('stg_records', $shop);
