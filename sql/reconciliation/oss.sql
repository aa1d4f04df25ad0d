-- reconciliation.oss_documents: every document of an OSS distance sale (union scheme), per VAT rate, as each side
-- of the books has it: the source of the quarterly OSS return (reconciliation/oss_return, docs/accounting.md
-- "OSS return"). Runs after _woocommerce.sql, _fortnox.sql and reconcile.sql on the same connection, with their
-- independence: no deltas object is read.
--   woocommerce  the documents of rc_woo_docs (sales, refunds, reversals) of orders WooCommerce taxed at the rate
--                of another EU member state (the country of the tax rate it applied: staging.tax_rates.country,
--                else the code's prefix, "DE-MWST-1"), per rate from rc_woo_rates; the country is that rate's
--   fortnox      the live documents of rc_fx_docs with a row on an OSS account (accounts.eu_consumer of the
--                mapping, configuration), per rate from rc_fx_rates; the country is the order's destination as
--                WooCommerce has it (shipping country, else billing), or the rate's country when the
--                mapping gives the country its own account
-- Amounts stay in cents of the document currency, with the SEK figure at the document's rate; the conversion to
-- euro (the ECB rate of the quarter's last day) is the return's, not this table's. Only the rows of the build's
-- scope are replaced (its orders, and the documents without an order); $full: all of the shop's.

CREATE OR REPLACE TEMP TABLE rc_oss_orders AS
SELECT t.order_id, min(upper(coalesce(nullif(r.country, ''), split_part(t.rate_code, '-', 1)))) AS country
FROM staging.order_tax_lines t
JOIN map_settings s ON t.shop = s.shop
LEFT JOIN staging.tax_rates r ON r.shop = t.shop AND r.tax_rate_id = t.rate_id
WHERE upper(coalesce(nullif(r.country, ''), split_part(t.rate_code, '-', 1))) IN (SELECT country FROM map_eu_countries)
  AND ($full OR t.order_id IN (SELECT order_id FROM rc_scope))
GROUP BY t.order_id;

-- The OSS accounts: the country of one that serves one country only; `shared` when another region books on it
-- too (freight and fees of reverse-charge sales share 3521/3541 by default), so only a taxed row there counts.
CREATE OR REPLACE TEMP TABLE rc_oss_accounts AS
SELECT account, CASE WHEN count(DISTINCT country) = 1 THEN min(country) END AS country,
       account IN (SELECT account FROM map_accounts WHERE region <> 'eu_consumer') AS shared
FROM map_accounts WHERE region = 'eu_consumer' GROUP BY account;

DELETE FROM reconciliation.oss_documents
WHERE shop = (SELECT shop FROM map_settings)
  AND ($full OR order_id IS NULL OR order_id IN (SELECT order_id FROM rc_scope));

INSERT INTO reconciliation.oss_documents BY NAME
SELECT d.shop, 'woocommerce' AS side, d.doc_key AS document, d.order_id, d.day, o.country, w.vat_rate, d.currency,
       coalesce(d.fx_rate, 1) AS rate, w.net_cents, w.vat_cents, 0 AS vat_rounding_cents,
       rc_sek(w.net_cents, coalesce(d.fx_rate, 1)) AS net_sek_cents, rc_sek(w.vat_cents, coalesce(d.fx_rate, 1)) AS vat_sek_cents
FROM rc_woo_docs d
JOIN rc_oss_orders o ON o.order_id = d.order_id
JOIN rc_woo_rates w ON w.doc_key = d.doc_key
WHERE d.set_aside IS NULL;

INSERT INTO reconciliation.oss_documents BY NAME
WITH oss_docs AS (
    SELECT r.number, min(a.country) AS account_country
    FROM rc_fx_rows r JOIN rc_oss_accounts a ON a.account = r.account
    WHERE NOT a.shared OR r.vat_rate > 0
    GROUP BY r.number
)
SELECT x.shop, 'fortnox' AS side, 'fortnox ' || x.number AS document, x.order_id, x.day,
       coalesce(od.account_country, upper(coalesce(nullif(so.shipping_country, ''), so.billing_country))) AS country,
       t.vat_rate, x.currency, x.rate, t.net_cents, t.vat_cents, t.vat_rounding_cents,
       rc_sek(t.net_cents, x.rate) AS net_sek_cents, rc_sek(t.vat_cents, x.rate) AS vat_sek_cents
FROM rc_fx_docs x
JOIN oss_docs od ON od.number = x.number
JOIN rc_fx_rates t ON t.number = x.number
LEFT JOIN staging.orders so ON so.shop = x.shop AND so.order_id = x.order_id
WHERE NOT x.cancelled AND t.vat_rate IS NOT NULL;
