-- deltas.article_delta: one Fortnox article per simple product and per variation (wf_articles, _articles.sql).
-- Description cut to articles.description_max_length (50; the full name stays on invoice rows), VAT from the tax
-- class, Type STOCK for physical goods and SERVICE for virtual/downloadable ones, StockGoods for managed stock,
-- sales accounts from the mapping (Sweden at the article's rate; EU reverse charge, EU OSS, export).
-- Quantities are not set here (stock_delta), prices neither (price_delta). action upsert, source_key ArticleNumber.
CREATE OR REPLACE TABLE deltas.article_delta AS
WITH a AS (
    SELECT w.*,
           json_merge_patch(json_object(
               'ArticleNumber', w.article_number,
               'Description', left(coalesce(nullif(trim(w.name), ''), w.article_number), s.description_max_length),
               'Type', CASE WHEN w.is_service THEN 'SERVICE' ELSE 'STOCK' END,
               'StockGoods', w.manage_stock AND NOT w.is_service,
               'VAT', CAST(w.vat_rate AS DECIMAL(9, 2))),
               json_object('SalesAccount', w.sales_account, 'EUAccount', w.eu_account,
                           'EUVATAccount', w.eu_vat_account, 'ExportAccount', w.export_account)) AS article
    FROM wf_articles w, map_settings s
)
SELECT (SELECT shop FROM map_settings) AS shop, a.article_number AS source_key, 'article' AS entity,
       'upsert' AS action, json_object('Article', a.article) AS payload,
       md5(CAST(json_object('Article', a.article) AS VARCHAR)) AS payload_hash,
       CAST(NULL AS BIGINT) AS order_id, CAST(NULL AS VARCHAR) AS ref_entity, CAST(NULL AS VARCHAR) AS ref_source_key,
       a.product_id, a.variation_id, a.sku, a.article_number, a.vat_rate
FROM a
LEFT JOIN ledger.documents d
       ON d.shop = (SELECT shop FROM map_settings) AND d.entity = 'article' AND d.source_key = a.article_number
WHERE d.payload_hash IS DISTINCT FROM md5(CAST(json_object('Article', a.article) AS VARCHAR))
ORDER BY a.article_number;
