-- Which orders this build prices (woofort_assets/defs/deltas/scope.py, docs/performance.md "Incremental deltas"):
-- a digest of each order's inputs and of each customer's, compared with what the delta tables were built from
-- (deltas.order_inputs, deltas.customer_inputs). Needs the map_* tables and _macros.sql.

-- 1. Per staged order of the shop: its staged rows (order, lines, coupons, tax lines, refunds and their lines),
-- its ledger documents (invoice, credits, payments, re-issues; the mirrored invoice of a row without digests) and
-- the operator's re-issue requests. Any change to one of them changes the digest.
CREATE OR REPLACE TEMP TABLE wf_order_digests AS
WITH refund_orders AS (
    SELECT r.refund_id, r.order_id FROM staging.refunds r, map_settings s WHERE r.shop = s.shop
),
documents AS (
    SELECT CASE WHEN d.order_id IS NOT NULL THEN d.order_id
                WHEN d.entity IN ('invoice', 'invoice_payment') AND TRY_CAST(d.source_key AS BIGINT) IS NOT NULL
                    THEN CAST(d.source_key AS BIGINT)
                WHEN d.source_key LIKE 'order-%' THEN TRY_CAST(substr(d.source_key, 7) AS BIGINT)
                WHEN d.entity = 'invoice_reissue' THEN TRY_CAST(split_part(d.source_key, '#', 1) AS BIGINT)
                ELSE r.order_id END AS order_id,
           hash(d.entity, d.source_key, d.fortnox_number, d.payload_hash, d.status, d.booked, d.money_hash,
                d.accounts_hash, CAST(f.document AS VARCHAR)) AS h
    FROM ledger.documents d
    JOIN map_settings s ON d.shop = s.shop
    LEFT JOIN refund_orders r ON CAST(r.refund_id AS VARCHAR) = regexp_replace(d.source_key, '^refund-', '')
    LEFT JOIN ledger.fortnox_documents f
           ON d.entity = 'invoice' AND d.money_hash IS NULL AND f.shop = d.shop AND f.kind = 'invoice'
          AND f.number = d.fortnox_number
    WHERE d.entity IN ('invoice', 'credit_invoice', 'invoice_payment', 'invoice_reissue')
),
-- Every row is hashed with its table's name and the hashes of an order are XORed in one aggregation (one pass,
-- not a join per table).
parts AS (
    SELECT o.order_id, hash(o) AS h FROM staging.orders o, map_settings s WHERE o.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('line', x) FROM staging.order_lines x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('coupon_line', x) FROM staging.order_coupon_lines x, map_settings s
    WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('tax_line', x) FROM staging.order_tax_lines x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('refund', x) FROM staging.refunds x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT x.order_id, hash('refund_line', x) FROM staging.refund_lines x, map_settings s WHERE x.shop = s.shop
    UNION ALL
    SELECT order_id, hash('ledger', h) FROM documents
    UNION ALL
    SELECT TRY_CAST(q.source_key AS BIGINT), hash('reissue_request', q.fortnox_number, q.requested_at)
    FROM ledger.reissue_requests q, map_settings s WHERE q.shop = s.shop
)
SELECT o.order_id, o.customer_id, o.billing_email, d.digest
FROM (SELECT order_id, bit_xor(h) AS digest FROM parts GROUP BY order_id) d
JOIN staging.orders o ON o.order_id = d.order_id
JOIN map_settings s ON o.shop = s.shop;

-- 2. Per customer: its ledger row and, for a registered customer, its staged profile (customer_delta reads both).
CREATE OR REPLACE TEMP TABLE wf_customer_digests AS
SELECT customer_number, bit_xor(h) AS digest
FROM (SELECT d.source_key AS customer_number, hash(d.fortnox_number, d.payload_hash, d.status) AS h
      FROM ledger.documents d, map_settings s WHERE d.shop = s.shop AND d.entity = 'customer'
      UNION ALL
      SELECT wf_customer_number(c.customer_id, NULL, NULL), hash(c)
      FROM staging.customers c, map_settings s WHERE c.shop = s.shop AND c.customer_id > 0)
GROUP BY customer_number;

-- 3. The scope: every order whose digest changed, appeared or vanished ($full: every order, staged or built
-- before), and the customers they belong or belonged to, or whose own digest changed.
CREATE OR REPLACE TEMP TABLE wf_dirty_orders AS
SELECT coalesce(n.order_id, p.order_id) AS order_id, p.customer_number AS built_customer,
       CASE WHEN n.order_id IS NOT NULL THEN wf_customer_number(n.customer_id, n.billing_email, n.order_id) END
           AS customer_number
FROM wf_order_digests n
FULL JOIN (SELECT i.order_id, i.customer_number, i.digest FROM deltas.order_inputs i, map_settings s
           WHERE i.shop = s.shop) p ON p.order_id = n.order_id
WHERE $full OR n.digest IS DISTINCT FROM p.digest;

CREATE OR REPLACE TEMP TABLE wf_scope_customers AS
SELECT built_customer AS customer_number FROM wf_dirty_orders WHERE built_customer IS NOT NULL
UNION
SELECT customer_number FROM wf_dirty_orders WHERE customer_number IS NOT NULL
UNION
SELECT coalesce(n.customer_number, p.customer_number)
FROM wf_customer_digests n
FULL JOIN (SELECT i.customer_number, i.digest FROM deltas.customer_inputs i, map_settings s
           WHERE i.shop = s.shop) p ON p.customer_number = n.customer_number
WHERE n.digest IS DISTINCT FROM p.digest;

-- Of a touched customer's unchanged orders, customer_delta needs only the two its card can come from: the latest
-- invoiceable one (name, address) and the one that ranks first by (VAT number given, date) (VAT type).
CREATE OR REPLACE TEMP TABLE wf_scope AS
WITH unchanged AS (
    SELECT i.* FROM deltas.order_inputs i, map_settings s
    WHERE i.shop = s.shop AND i.invoiceable
      AND i.customer_number IN (SELECT customer_number FROM wf_scope_customers)
      AND i.order_id NOT IN (SELECT order_id FROM wf_dirty_orders)
)
SELECT order_id FROM wf_dirty_orders
UNION
SELECT arg_max(order_id, (date_created, order_id)) FROM unchanged GROUP BY customer_number
UNION
SELECT arg_max(order_id, (has_vat_number, date_created, order_id)) FROM unchanged GROUP BY customer_number;
