-- The staged order tables as the delta SQL reads them: only the orders of this build's scope (wf_scope: those
-- whose inputs changed, sql/deltas/_scope.sql, or every order of the shop, _scope_every_order.sql), so that a
-- build costs in proportion to what changed. Needs the map_* tables.
CREATE OR REPLACE TEMP VIEW wf_staged_orders AS
SELECT x.* FROM staging.orders x, map_settings s
WHERE x.shop = s.shop AND x.order_id IN (SELECT order_id FROM wf_scope);

CREATE OR REPLACE TEMP VIEW wf_staged_order_lines AS
SELECT x.* FROM staging.order_lines x, map_settings s
WHERE x.shop = s.shop AND x.order_id IN (SELECT order_id FROM wf_scope);

CREATE OR REPLACE TEMP VIEW wf_staged_coupon_lines AS
SELECT x.* FROM staging.order_coupon_lines x, map_settings s
WHERE x.shop = s.shop AND x.order_id IN (SELECT order_id FROM wf_scope);

CREATE OR REPLACE TEMP VIEW wf_staged_tax_lines AS
SELECT x.* FROM staging.order_tax_lines x, map_settings s
WHERE x.shop = s.shop AND x.order_id IN (SELECT order_id FROM wf_scope);

CREATE OR REPLACE TEMP VIEW wf_staged_refunds AS
SELECT x.* FROM staging.refunds x, map_settings s
WHERE x.shop = s.shop AND x.order_id IN (SELECT order_id FROM wf_scope);

CREATE OR REPLACE TEMP VIEW wf_staged_refund_lines AS
SELECT x.* FROM staging.refund_lines x, map_settings s
WHERE x.shop = s.shop AND x.order_id IN (SELECT order_id FROM wf_scope);
