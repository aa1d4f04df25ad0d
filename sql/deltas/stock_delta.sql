-- deltas.stock_delta: WooCommerce is the master of stock. For every article whose stock WooCommerce manages
-- (manage_stock true on the product or the variation itself) the ABSOLUTE quantity: {"Article":
-- {"QuantityInStock": n}}, never a relative change. The sink runs it after the invoices of the same run (an
-- invoice lowers Fortnox's stock; the absolute value then puts it back to WooCommerce's). Only for tenants
-- without the warehouse module (Lager): see docs/accounting.md "Stock". action set_stock, source_key ArticleNumber.
CREATE OR REPLACE TABLE deltas.stock_delta AS
WITH s AS (
    SELECT w.*, json_object('Article', json_object('QuantityInStock', CAST(w.stock_quantity AS DECIMAL(18, 2)))) AS payload
    FROM wf_articles w
    WHERE w.manage_stock AND NOT w.is_service AND w.stock_quantity IS NOT NULL
)
SELECT (SELECT shop FROM map_settings) AS shop, s.article_number AS source_key, 'stock' AS entity,
       'set_stock' AS action, s.payload, md5(CAST(s.payload AS VARCHAR)) AS payload_hash,
       CAST(NULL AS BIGINT) AS order_id, CAST(NULL AS VARCHAR) AS ref_entity, CAST(NULL AS VARCHAR) AS ref_source_key,
       s.article_number, CAST(s.stock_quantity AS DECIMAL(18, 2)) AS quantity
FROM s
LEFT JOIN ledger.documents d
       ON d.shop = (SELECT shop FROM map_settings) AND d.entity = 'stock' AND d.source_key = s.article_number
WHERE d.payload_hash IS DISTINCT FROM md5(CAST(s.payload AS VARCHAR))
ORDER BY source_key;
