-- raw.products -> staging.products for the batch ($shop, $run_id): the latest version per product id
-- (date_modified_gmt, then fetched_at). Tolerated quirks: price/regular_price/sale_price "" or boolean -> NULL,
-- sku false/"" -> NULL, parent_id not an integer -> NULL. Needs _macros.sql.

CREATE OR REPLACE TEMP TABLE stg_products_latest AS
SELECT record_key, payload, fetched_at, json_type(payload) AS payload_type,
       json_transform(payload, '{
           "id": "JSON", "parent_id": "JSON", "name": "JSON", "slug": "JSON", "type": "JSON", "status": "JSON",
           "sku": "JSON", "price": "JSON", "regular_price": "JSON", "sale_price": "JSON", "tax_status": "JSON",
           "tax_class": "JSON", "manage_stock": "JSON", "stock_quantity": "JSON", "stock_status": "JSON",
           "virtual": "JSON", "downloadable": "JSON", "variations": "JSON", "date_created": "JSON",
           "date_created_gmt": "JSON", "date_modified": "JSON", "date_modified_gmt": "JSON",
           "meta_data": "JSON"}') AS s
FROM wc_latest('raw.products', $shop, $run_id, '$.date_modified_gmt');

CREATE OR REPLACE TEMP TABLE stg_products_parsed AS
SELECT
    record_key, payload, fetched_at,
    CASE
        WHEN payload_type <> 'OBJECT' THEN 'record: ' || left(payload::VARCHAR, 60) || ' is not an object'
        ELSE wc_reasons(concat_ws('; ',
            wc_id_reason(s.id, 'id'),
            wc_str_reason(s.name, 'name'),
            wc_str_reason(s.type, 'type'),
            wc_str_reason(s.status, 'status'),
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
    wc_int(s.id) AS product_id,
    wc_int(s.parent_id) AS parent_id,
    wc_text(s.name) AS name,
    wc_text(s.slug) AS slug,
    wc_text(s.type) AS type,
    wc_text(s.status) AS status,
    wc_nstr(s.sku) AS sku,
    wc_opt_money(s.price) AS price,
    wc_opt_money(s.regular_price) AS regular_price,
    wc_opt_money(s.sale_price) AS sale_price,
    wc_text(s.tax_status) AS tax_status,
    wc_text(s.tax_class) AS tax_class,
    wc_bool(s.manage_stock) AS manage_stock,
    wc_money(s.stock_quantity) AS stock_quantity,
    wc_text(s.stock_status) AS stock_status,
    wc_bool(s.virtual) AS is_virtual,
    wc_bool(s.downloadable) AS downloadable,
    CASE WHEN json_type(s.variations) = 'ARRAY' THEN
        list_filter(list_transform(json_extract(s.variations, '$[*]'), lambda x: wc_int(x)), lambda x: x IS NOT NULL)
    END AS variation_ids,
    wc_ts(s.date_created) AS date_created,
    wc_ts(s.date_created_gmt) AS date_created_gmt,
    wc_ts(s.date_modified) AS date_modified,
    wc_ts(s.date_modified_gmt) AS date_modified_gmt,
    s.meta_data AS meta_data
FROM stg_products_latest;

DELETE FROM staging.products WHERE shop = $shop
    AND product_id IN (SELECT product_id FROM stg_products_parsed WHERE product_id > 0);

INSERT INTO staging.products BY NAME
SELECT * EXCLUDE (record_key, payload, fetched_at, reason), $shop AS shop
FROM stg_products_parsed
WHERE reason IS NULL;

CREATE OR REPLACE TEMP TABLE stg_outcome AS
SELECT record_key, reason, payload, fetched_at FROM stg_products_parsed;
