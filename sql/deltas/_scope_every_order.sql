-- The scope of a build that prices every staged order of the shop (see _staged.sql). Needs the map_* tables.
CREATE OR REPLACE TEMP TABLE wf_scope AS
SELECT o.order_id FROM staging.orders o, map_settings s WHERE o.shop = s.shop;
