-- Which orders this reconciliation build replaces (woofort_assets/defs/reconciliation/scope.py): its own digest of
-- each order's inputs and of each Fortnox document, compared with what the tables were built from
-- (reconciliation.order_inputs, document_inputs). Not the deltas' change detection: the books check must not miss
-- a change because the code it checks missed it. Needs the map_* tables. $full: every order.

-- 1. Per staged order of the shop: its staged rows as the reconciliation reads them (order, lines, tax lines,
-- refunds and their lines), its ledger documents, its open dead letters and its exclusion rows.
CREATE OR REPLACE TEMP TABLE rc_order_digests AS
WITH refund_orders AS (
    SELECT r.refund_id, r.order_id FROM staging.refunds r, map_settings s WHERE r.shop = s.shop
),
keyed AS (
    SELECT x.entity, x.source_key, x.order_id, x.h
    FROM (SELECT d.entity, d.source_key, d.order_id, hash(d.entity, d.source_key, d.fortnox_number, d.status) AS h
          FROM ledger.documents d, map_settings s
          WHERE d.shop = s.shop AND d.entity IN ('invoice', 'credit_invoice', 'invoice_payment', 'invoice_reissue')
          UNION ALL
          SELECT dl.entity, dl.source_key, NULL, hash(dl.entity, dl.source_key, dl.error_code, dl.error_message)
          FROM ledger.dead_letter dl, map_settings s
          WHERE dl.shop = s.shop AND dl.status = 'open'
            AND dl.entity IN ('invoice', 'invoice_order', 'credit_invoice', 'invoice_payment')) x
),
owned AS (
    SELECT CASE WHEN k.order_id IS NOT NULL THEN k.order_id
                WHEN k.source_key LIKE 'order-%' THEN TRY_CAST(substr(k.source_key, 7) AS BIGINT)
                WHEN k.source_key LIKE 'refund-%' OR k.entity = 'credit_invoice' THEN r.order_id
                ELSE TRY_CAST(split_part(k.source_key, '#', 1) AS BIGINT) END AS order_id, k.h
    FROM keyed k
    LEFT JOIN refund_orders r ON CAST(r.refund_id AS VARCHAR) = regexp_replace(k.source_key, '^refund-', '')
),
-- Every row is hashed with its table's name and the hashes of an order are XORed in one aggregation (one pass,
-- not a join per table).
parts AS (
    SELECT o.order_id, hash(o) AS h, true AS staged FROM staging.orders o, map_settings s WHERE o.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('line', x), false FROM staging.order_lines x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('tax_line', x), false FROM staging.order_tax_lines x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('refund', x), false FROM staging.refunds x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('refund_line', x), false FROM staging.refund_lines x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT order_id, hash('ledger', h), false FROM owned
    UNION ALL
    SELECT x.order_id, hash('invoice_exclusion', x), false
    FROM deltas.invoice_exclusions x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('payment_exclusion', x), false
    FROM deltas.payment_exclusions x, map_settings s WHERE x.shop = s.shop
)
SELECT order_id, bit_xor(h) AS digest FROM parts GROUP BY order_id HAVING bool_or(staged);

-- 2. The Fortnox documents that appeared, changed or vanished since, with the reference that says whose they are
-- (read from the JSON of these only): an invoice's ExternalInvoiceReference1, a payment's InvoiceNumber.
CREATE OR REPLACE TEMP TABLE rc_doc_changes AS
WITH now AS (
    SELECT f.kind, f.number, hash(f.document, f.source) AS digest
    FROM ledger.fortnox_documents f, map_settings s WHERE f.shop = s.shop
),
before AS (
    SELECT i.kind, i.number, i.digest, i.ref FROM reconciliation.document_inputs i, map_settings s WHERE i.shop = s.shop
),
changed AS (
    SELECT coalesce(n.kind, b.kind) AS kind, coalesce(n.number, b.number) AS number, n.digest, b.ref AS old_ref
    FROM now n FULL JOIN before b ON b.kind = n.kind AND b.number = n.number
    WHERE $full OR n.digest IS DISTINCT FROM b.digest
)
SELECT c.*, CASE WHEN c.kind = 'invoice'
                 THEN trim(coalesce(json_extract_string(f.document, '$.ExternalInvoiceReference1'), ''))
                 ELSE json_extract_string(f.document, '$.InvoiceNumber') END AS ref
FROM changed c
LEFT JOIN (SELECT f.* FROM ledger.fortnox_documents f, map_settings s WHERE f.shop = s.shop) f
       ON c.digest IS NOT NULL AND f.kind = c.kind AND f.number = c.number;

-- Every Fortnox document of the shop and the order it belongs to now (an invoice: its reference as an order id; a
-- payment: its invoice's order).
CREATE OR REPLACE TEMP TABLE rc_doc_orders AS
WITH refs AS (
    SELECT i.kind, i.number, i.ref FROM reconciliation.document_inputs i, map_settings s
    WHERE i.shop = s.shop AND NOT $full
      AND NOT EXISTS (SELECT 1 FROM rc_doc_changes c WHERE c.kind = i.kind AND c.number = i.number)
    UNION ALL
    SELECT kind, number, ref FROM rc_doc_changes WHERE digest IS NOT NULL
)
SELECT r.kind, r.number, r.ref,
       CASE WHEN r.kind = 'invoice' THEN TRY_CAST(r.ref AS BIGINT) ELSE TRY_CAST(i.ref AS BIGINT) END AS order_id
FROM refs r LEFT JOIN refs i ON r.kind <> 'invoice' AND i.kind = 'invoice' AND i.number = r.ref;

-- 3. The scope: every order whose digest changed, appeared or vanished, and the orders a changed Fortnox document
-- belongs or belonged to ($full: every order, staged, built before or named by a document). Fortnox documents
-- without an order are always rebuilt (they are few).
CREATE OR REPLACE TEMP TABLE rc_scope AS
SELECT coalesce(n.order_id, p.order_id) AS order_id
FROM rc_order_digests n
FULL JOIN (SELECT i.order_id, i.digest FROM reconciliation.order_inputs i, map_settings s WHERE i.shop = s.shop) p
       ON p.order_id = n.order_id
WHERE $full OR n.digest IS DISTINCT FROM p.digest
UNION
SELECT o.order_id FROM rc_doc_orders o
WHERE o.order_id IS NOT NULL
  AND ($full OR EXISTS (SELECT 1 FROM rc_doc_changes c WHERE c.kind = o.kind AND c.number = o.number))
UNION
SELECT CASE WHEN c.kind = 'invoice' THEN TRY_CAST(c.old_ref AS BIGINT) ELSE TRY_CAST(i.ref AS BIGINT) END
FROM rc_doc_changes c LEFT JOIN rc_doc_orders i ON c.kind <> 'invoice' AND i.kind = 'invoice' AND i.number = c.old_ref
WHERE c.old_ref IS NOT NULL AND CASE WHEN c.kind = 'invoice' THEN TRY_CAST(c.old_ref AS BIGINT)
                                     ELSE TRY_CAST(i.ref AS BIGINT) END IS NOT NULL;
