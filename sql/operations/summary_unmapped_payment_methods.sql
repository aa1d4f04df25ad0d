-- Payment methods of paid, invoiceable orders that the mapping cannot turn into a Fortnox payment: not in
-- payments.methods while payments.default is null (the payment delta lists each such order in
-- deltas.payment_exclusions). Shared by the preflight's warnings and the sync summary (woofort_assets/lib/unmapped.py).
-- Needs the map_* tables (lib/mapping/tables.py::register_mapping). One row per method:
-- (payment_method, title, orders, first order ids).
SELECT coalesce(nullif(trim(o.payment_method), ''), '') AS payment_method,
       any_value(o.payment_method_title) AS title,
       count(*) AS orders,
       list(o.order_id ORDER BY o.order_id)[1:5] AS first_orders
FROM staging.orders o
JOIN map_settings s ON o.shop = s.shop
WHERE o.date_paid IS NOT NULL
  AND CAST(o.date_created AS DATE) >= s.start_date
  AND o.status IN (SELECT status FROM map_trigger_statuses)
  AND NOT EXISTS (SELECT 1 FROM map_payment_methods m WHERE m.is_default)
  AND NOT EXISTS (SELECT 1 FROM map_payment_methods m WHERE NOT m.is_default AND m.payment_method = o.payment_method)
GROUP BY ALL
ORDER BY orders DESC, payment_method;
