-- After a build of every order delta: what the scope's orders and every customer were built from
-- (sql/deltas/_scope.sql; whether the order is invoiceable and gave a VAT number, as priced now: _orders.sql), and
-- the shared digest the tables are now complete for. Needs _scope.sql and _orders.sql.
DELETE FROM deltas.order_inputs WHERE shop = $shop AND order_id IN (SELECT order_id FROM wf_scope);

INSERT INTO deltas.order_inputs (shop, order_id, customer_number, digest, invoiceable, has_vat_number, date_created)
SELECT $shop, d.order_id, wf_customer_number(d.customer_id, d.billing_email, d.order_id), d.digest,
       i.reason IS NULL, o.vat_number IS NOT NULL, o.date_created
FROM wf_order_digests d
JOIN wf_orders o ON o.order_id = d.order_id
JOIN wf_invoices i ON i.order_id = d.order_id
WHERE d.order_id IN (SELECT order_id FROM wf_scope);

-- customers outside the scope kept their digest (_scope.sql puts every customer whose digest changed in it)
DELETE FROM deltas.customer_inputs
WHERE shop = $shop AND ($full OR customer_number IN (SELECT customer_number FROM wf_scope_customers));

INSERT INTO deltas.customer_inputs (shop, customer_number, digest)
SELECT $shop, customer_number, digest FROM wf_customer_digests
WHERE $full OR customer_number IN (SELECT customer_number FROM wf_scope_customers);

DELETE FROM deltas.delta_builds WHERE shop = $shop;

INSERT INTO deltas.delta_builds (shop, shared_digest, built_at, orders_priced, full_build)
SELECT $shop, $shared_digest, now(), count(*), $full FROM wf_scope;
