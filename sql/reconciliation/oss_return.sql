-- reconciliation.oss_return for one quarter ($quarter, days $first <= day < $next) from reconciliation.oss_documents:
-- per member state and VAT rate, WooCommerce's taxable amount and VAT in SEK and in euro, beside Fortnox's.
-- Euro as the return asks (Council Directive 2006/112/EC art. 369h(2): the ECB rate of the period's last day):
-- documents in EUR count with their own euro amounts; the others' SEK sum is converted once at $eur_rate (SEK per
-- euro), half-up to the cent. Without a rate ($eur_rate NULL) the euro columns stay NULL.
DELETE FROM reconciliation.oss_return WHERE shop = $shop AND quarter = $quarter;

INSERT INTO reconciliation.oss_return BY NAME
WITH d AS (
    SELECT * FROM reconciliation.oss_documents WHERE shop = $shop AND day >= $first AND day < $next
),
eur_units AS (SELECT CAST(CAST($eur_rate AS DECIMAL(18, 6)) * 1000000 AS HUGEINT) AS u),
w AS (
    SELECT country, vat_rate, count(DISTINCT document) AS documents,
           sum(net_sek_cents) AS net_sek, sum(vat_sek_cents) AS vat_sek,
           coalesce(sum(net_cents) FILTER (WHERE currency = 'EUR'), 0) AS net_eur_own,
           coalesce(sum(vat_cents) FILTER (WHERE currency = 'EUR'), 0) AS vat_eur_own,
           coalesce(sum(net_sek_cents) FILTER (WHERE currency <> 'EUR'), 0) AS net_sek_other,
           coalesce(sum(vat_sek_cents) FILTER (WHERE currency <> 'EUR'), 0) AS vat_sek_other
    FROM d WHERE side = 'woocommerce' GROUP BY ALL
),
f AS (
    SELECT country, vat_rate, sum(net_sek_cents) AS net_sek, sum(vat_sek_cents) AS vat_sek,
           sum(rc_sek(vat_rounding_cents, rate)) AS rounding_sek
    FROM d WHERE side = 'fortnox' GROUP BY ALL
)
SELECT $shop AS shop, $quarter AS quarter, coalesce(w.country, f.country) AS country,
       coalesce(w.vat_rate, f.vat_rate) AS vat_rate, coalesce(w.documents, 0) AS documents,
       rc_amount(coalesce(w.net_sek, 0)) AS taxable_sek, rc_amount(coalesce(w.vat_sek, 0)) AS vat_sek,
       rc_amount(coalesce(w.net_eur_own, 0) + rc_div_half_up(coalesce(w.net_sek_other, 0) * 1000000, e.u))
           AS taxable_eur,
       rc_amount(coalesce(w.vat_eur_own, 0) + rc_div_half_up(coalesce(w.vat_sek_other, 0) * 1000000, e.u)) AS vat_eur,
       rc_amount(coalesce(f.net_sek, 0)) AS fortnox_taxable_sek, rc_amount(coalesce(f.vat_sek, 0)) AS fortnox_vat_sek,
       rc_amount(coalesce(f.rounding_sek, 0)) AS fortnox_vat_rounding_sek
FROM w FULL OUTER JOIN f ON f.country = w.country AND f.vat_rate = w.vat_rate, eur_units e;

-- The sides disagree (the check oss_sides_agree): per member state, rate and document currency, in that currency,
-- Fortnox's VAT must equal WooCommerce's, and Fortnox's net minus woofort's Momsavrundning rows WooCommerce's net.
CREATE OR REPLACE TEMP TABLE rc_oss_differences AS
WITH d AS (
    SELECT * FROM reconciliation.oss_documents WHERE shop = $shop AND day >= $first AND day < $next
),
sides AS (
    SELECT country, vat_rate, currency,
           coalesce(sum(net_cents) FILTER (WHERE side = 'woocommerce'), 0) AS woo_net,
           coalesce(sum(vat_cents) FILTER (WHERE side = 'woocommerce'), 0) AS woo_vat,
           coalesce(sum(net_cents - vat_rounding_cents) FILTER (WHERE side = 'fortnox'), 0) AS fx_net,
           coalesce(sum(vat_cents) FILTER (WHERE side = 'fortnox'), 0) AS fx_vat,
           string_agg(DISTINCT CAST(order_id AS VARCHAR), ', ') AS orders
    FROM d GROUP BY ALL
)
SELECT country, vat_rate, currency, rc_amount(woo_net) AS woo_taxable, rc_amount(fx_net) AS fortnox_taxable,
       rc_amount(woo_vat) AS woo_vat, rc_amount(fx_vat) AS fortnox_vat, orders
FROM sides WHERE woo_net <> fx_net OR woo_vat <> fx_vat
ORDER BY country, vat_rate, currency;
