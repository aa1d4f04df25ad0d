-- wf_orders, wf_lines, wf_invoices: every staged order of the shop turned into the Fortnox invoice it
-- becomes (whether or not it is invoiced now), with the reason when it cannot be invoiced.
-- Shared by invoice_delta, credit_delta, payment_delta and customer_delta. Needs _macros.sql, _articles.sql,
-- _line_rates.sql.
-- The arithmetic is Fortnox's (woofort_assets/lib/fortnox_arithmetic.py) in integer cents; see
-- docs/accounting.md "Rows, VAT and rounding" for why each row looks the way it does.

-- 1. Orders with the derived invoice header fields. Cost centre and project: the first dimension rule (by
-- priority) whose conditions all hold; a rule's NULL condition matches anything.
CREATE OR REPLACE TEMP TABLE wf_order_heads AS
WITH buyers AS (
    SELECT o.* EXCLUDE (meta_data),
           wf_tax_country(o.shipping_country, o.billing_country) AS tax_country,
           s.invoice_date_rule, s.start_date, s.skip_zero_total,
           b.vat_number, b.vat_number_country, b.vat_number_problem, b.organisation_number,
           coalesce(b.vat_number_country <> s.home_country, false) AS foreign_vat_number,
           coalesce(ch.charged_home, false) AS charged_home
    FROM wf_staged_orders o
    JOIN map_settings s ON o.shop = s.shop
    LEFT JOIN wf_buyer_numbers b ON b.order_id = o.order_id
    LEFT JOIN wf_charged_home ch ON ch.order_id = o.order_id
),
o AS (
    SELECT *, wf_region(tax_country, foreign_vat_number, total_tax, charged_home) AS region FROM buyers
),
-- EU consumers WooCommerce applied no tax rate to (a VAT-exempt order): whether their goods would have carried VAT
-- in their country, at WooCommerce's rate for the line's tax class there, else the class's home rate (a line of
-- unknown class would)
taxed_goods AS (
    SELECT o.order_id,
           bool_or(CASE WHEN coalesce(wr.rate, mc.vat_rate) IS NULL THEN l.total <> 0
                        ELSE wf_tax_at(l.total, coalesce(wr.rate, mc.vat_rate)) <> 0 END) AS taxed
    FROM o
    JOIN wf_staged_order_lines l ON l.shop = o.shop AND l.order_id = o.order_id AND l.line_type = 'line_item'
    LEFT JOIN (SELECT upper(t.country) AS country, t.tax_class, max(t.rate) AS rate
               FROM staging.tax_rates t JOIN map_settings s ON t.shop = s.shop GROUP BY ALL) wr
           ON wr.country = o.tax_country AND wr.tax_class = coalesce(nullif(l.tax_class, ''), 'standard')
    LEFT JOIN map_tax_classes mc ON mc.tax_class = coalesce(nullif(l.tax_class, ''), 'standard')
    WHERE o.region = 'eu_consumer' AND o.total_tax = 0
    GROUP BY o.order_id
    HAVING NOT bool_or(len(coalesce(l.tax_rate_ids, [])) > 0)
),
dimensions AS (
    SELECT o.order_id,
           arg_min(r.value, r.priority) FILTER (WHERE r.dimension = 'cost_center') AS cost_center,
           arg_min(r.value, r.priority) FILTER (WHERE r.dimension = 'project') AS project
    FROM o JOIN map_dimension_rules r
      ON (r.payment_method IS NULL OR r.payment_method = o.payment_method)
     AND (r.country IS NULL OR r.country = o.tax_country) AND (r.currency IS NULL OR r.currency = o.currency)
     AND (r.created_via IS NULL OR r.created_via = o.created_via)
    GROUP BY o.order_id
)
SELECT o.*,
       CAST(CASE o.invoice_date_rule
                WHEN 'paid' THEN coalesce(o.date_paid, o.date_created)
                WHEN 'completed' THEN coalesce(o.date_completed, o.date_created)
                ELSE o.date_created END AS DATE) AS invoice_date,
       wf_customer_number(o.customer_id, o.billing_email, o.order_id) AS customer_number,
       d.cost_center, d.project,
       -- a paid order cancelled or refunded is booked all the same (invoice, payment, credit, payout): the money
       -- went in and out through the bank or the payment provider
       CASE WHEN CAST(o.date_created AS DATE) < o.start_date THEN 'before_start_date'
            WHEN o.status IN ('cancelled', 'refunded') AND o.date_paid IS NULL THEN 'cancelled_unpaid'
            WHEN o.status NOT IN (SELECT status FROM map_trigger_statuses)
                 AND NOT (o.status IN ('cancelled', 'refunded') AND o.date_paid IS NOT NULL) THEN 'status_not_trigger'
            WHEN upper(o.currency) NOT IN (SELECT currency FROM map_currencies) THEN 'currency_not_allowed'
            WHEN tg.taxed THEN 'eu_untaxed_without_vat_number'
            WHEN o.skip_zero_total AND o.total = 0 THEN 'zero_total'
       END AS order_reason,
       CASE WHEN CAST(o.date_created AS DATE) < o.start_date
                THEN 'created ' || CAST(o.date_created AS DATE) || ' before WOOFORT_START_DATE ' || o.start_date
            WHEN o.status IN ('cancelled', 'refunded') AND o.date_paid IS NULL
                THEN 'status ' || o.status || ' and never paid: nothing was sold'
            WHEN o.status NOT IN (SELECT status FROM map_trigger_statuses)
                 AND NOT (o.status IN ('cancelled', 'refunded') AND o.date_paid IS NOT NULL) THEN 'status ' || o.status
            WHEN upper(o.currency) NOT IN (SELECT currency FROM map_currencies)
                THEN 'currency ' || o.currency || ' not in invoicing.allowed_currencies'
            WHEN tg.taxed
                THEN 'no VAT charged to a buyer in ' || o.tax_country || ', where the goods carry VAT, and '
                     || coalesce(o.vat_number_problem,
                                 'the VAT number ' || o.vat_number || ' is of ' || o.vat_number_country
                                     || ': reverse charge needs one of another member state',
                                 'no VAT number: neither OSS nor reverse charge applies')
            WHEN o.skip_zero_total AND o.total = 0 THEN 'order total is 0'
       END AS order_reason_detail
FROM o LEFT JOIN dimensions d ON d.order_id = o.order_id LEFT JOIN taxed_goods tg ON tg.order_id = o.order_id;

-- 1b. The rate of a foreign-currency invoice (docs/accounting.md "Foreign currency"), SEK per fx_unit units: the
-- order's meta (wf_fx_meta), else Fortnox's register when its date is the invoice date, else the operator's rate
-- file for that date (wf_fx_dated); none: excluded as no_rate_for_date. An invoice booked in Fortnox keeps the rate
-- it was sent with (the pricing plugins' meta staged as currency_rate, or none): a booked document is history.
CREATE OR REPLACE TEMP TABLE wf_orders AS
WITH booked AS (
    SELECT CAST(d.source_key AS VARCHAR) AS source_key FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity = 'invoice' AND d.fortnox_number IS NOT NULL AND d.booked
      AND d.status <> 'cancelled' AND d.source_key IN (SELECT CAST(order_id AS VARCHAR) FROM wf_scope)
),
-- an invoice the sink has started (sent, refused or with its outcome unknown): the order stays on its invoice
started AS (
    SELECT CAST(d.source_key AS VARCHAR) AS source_key FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity = 'invoice' AND d.status <> 'cancelled'
      AND d.source_key IN (SELECT CAST(order_id AS VARCHAR) FROM wf_scope)
),
rated AS (
    SELECT o.*, upper(o.currency) <> 'SEK' AS foreign_currency,
           CAST(o.order_id AS VARCHAR) IN (SELECT source_key FROM booked) AS booked_before,
           CAST(o.order_id AS VARCHAR) IN (SELECT source_key FROM started) AS invoice_started,
           m.rate AS meta_rate, fd.rate AS dated_rate, fd.unit AS dated_unit
    FROM wf_order_heads o
    LEFT JOIN wf_fx_meta m ON m.order_id = o.order_id
    LEFT JOIN wf_fx_dated fd ON fd.currency = upper(o.currency) AND fd.rate_date = o.invoice_date
)
SELECT r.* EXCLUDE (foreign_currency, booked_before, meta_rate, dated_rate, dated_unit, order_reason, order_reason_detail),
       CASE WHEN NOT r.foreign_currency THEN NULL
            WHEN r.booked_before THEN CASE WHEN r.currency_rate > 0 THEN CAST(r.currency_rate AS DECIMAL(18, 6)) END
            ELSE coalesce(r.meta_rate, r.dated_rate) END AS fx_rate,
       -- not sent for an invoice booked before: its payload stays what it was (a ledger row from before money_hash
       -- is compared by payload)
       CASE WHEN NOT r.foreign_currency OR r.booked_before THEN NULL
            WHEN r.meta_rate IS NOT NULL THEN CAST(1 AS DECIMAL(18, 6))
            ELSE r.dated_unit END AS fx_unit,
       CASE WHEN r.order_reason IS NOT NULL THEN r.order_reason
            WHEN r.foreign_currency AND NOT r.booked_before AND coalesce(r.meta_rate, r.dated_rate) IS NULL
                THEN 'no_rate_for_date' END AS order_reason,
       CASE WHEN r.order_reason IS NOT NULL THEN r.order_reason_detail
            WHEN r.foreign_currency AND NOT r.booked_before AND coalesce(r.meta_rate, r.dated_rate) IS NULL
                THEN 'no ' || upper(r.currency) || ' rate for ' || r.invoice_date || ': none in the order meta '
                     || '(invoicing.currency_rate_meta_keys), Fortnox''s currency register is not for that day and '
                     || 'WOOFORT_FX_RATE_FILE has no line for it' END AS order_reason_detail
FROM rated r;
DROP TABLE wf_order_heads;

-- 2. Every order line with its VAT rate and account (its rates and, for shipping and fees taxed at several
-- rates, its parts per rate: wf_line_rates and wf_line_parts, _line_rates.sql).
CREATE OR REPLACE TEMP TABLE wf_lines AS
WITH l AS (
    SELECT l.*, o.region, o.tax_country, o.invoice_date, o.prices_include_tax AS gross,
           CASE WHEN l.line_type = 'line_item' THEN 'sales' WHEN l.line_type = 'shipping' THEN 'freight'
                -- a negative fee is a discount: less revenue at its rate, on a discount account only for Swedish
                -- sales when the mapping has one (docs/accounting.md §3)
                WHEN l.total < 0 AND o.region = 'sweden'
                     AND EXISTS (SELECT 1 FROM map_accounts d WHERE d.kind = 'discount') THEN 'discount'
                WHEN l.total < 0 THEN 'sales' ELSE 'fee' END AS kind,
           CASE l.line_type WHEN 'line_item' THEN 1 WHEN 'fee' THEN 2 ELSE 3 END AS type_order,
           r.n_rates, r.n_unknown, r.rate AS tax_rate, r.rates AS tax_rates,
           coalesce(p.part, 1) AS part, p.n_parts, p.vat_rate AS part_rate, p.net_cents AS part_net,
           p.tax_cents AS part_tax
    FROM wf_staged_order_lines l
    JOIN wf_orders o ON o.shop = l.shop AND o.order_id = l.order_id
    LEFT JOIN wf_line_rates r ON r.order_id = l.order_id AND r.line_id = l.line_id
    LEFT JOIN wf_line_parts p ON p.order_id = l.order_id AND p.line_id = l.line_id
),
-- a taxed line without tax ids: the mapped rate (of its region, kind and OSS country) nearest its tax
guessed AS (
    SELECT l.order_id, l.line_id,
           arg_min(a.vat_rate, {'gap': abs(wf_tax_at(l.total, a.vat_rate) - l.total_tax), 'rate': -a.vat_rate})
               AS vat_rate
    FROM l JOIN map_accounts a
      ON a.region = l.region AND a.kind = l.kind AND a.vat_rate > 0
     AND a.country IS NOT DISTINCT FROM CASE WHEN l.region = 'eu_consumer' THEN l.tax_country END
     AND (l.region <> 'eu_consumer' OR wf_oss_rate_valid(l.tax_country, a.vat_rate, l.invoice_date))
    WHERE coalesce(l.n_rates, 0) = 0 AND l.total_tax <> 0
      AND abs(wf_tax_at(l.total, a.vat_rate) - l.total_tax) <= 0.01
    GROUP BY l.order_id, l.line_id
),
rated AS (
    SELECT l.*,
           CASE WHEN l.part_rate IS NOT NULL THEN l.part_rate
                WHEN coalesce(l.n_rates, 0) = 1 AND l.n_unknown = 0
                     AND abs(wf_tax_at(l.total, l.tax_rate) - l.total_tax) <= 0.01 THEN l.tax_rate
                WHEN l.total_tax = 0 THEN CAST(0 AS DECIMAL(9, 4))
                WHEN coalesce(l.n_rates, 0) = 1 AND l.n_unknown = 0 THEN l.tax_rate
                WHEN coalesce(l.n_rates, 0) = 0 THEN g.vat_rate
           END AS vat_rate
    FROM l LEFT JOIN guessed g ON g.order_id = l.order_id AND g.line_id = l.line_id
),
amounts AS (
    SELECT r.*,
           -- the row amounts as Fortnox sees them: ex VAT, or incl. VAT when the order's prices include tax
           CASE WHEN part_rate IS NOT NULL THEN part_net + CASE WHEN gross THEN part_tax ELSE 0 END
                ELSE wf_cents(CASE WHEN gross THEN subtotal + subtotal_tax ELSE subtotal END) END AS sub_cents,
           CASE WHEN part_rate IS NOT NULL THEN part_net + CASE WHEN gross THEN part_tax ELSE 0 END
                ELSE wf_cents(CASE WHEN gross THEN total + total_tax ELSE total END) END AS amount_cents,
           coalesce(part_tax, wf_cents(total_tax)) AS tax_cents,
           region <> 'eu_consumer' OR wf_oss_rate_valid(tax_country, vat_rate, invoice_date) AS rate_valid,
           CASE WHEN line_type = 'line_item' AND quantity > 0 AND quantity = round(quantity, 2)
                THEN CAST(quantity AS DECIMAL(18, 2)) ELSE CAST(1 AS DECIMAL(18, 2)) END AS qty
    FROM rated r
)
SELECT a.shop, a.order_id, a.line_id, a.part, a.n_parts, a.line_type, a.type_order, a.kind, a.gross, a.product_id,
       a.variation_id,
       a.quantity, a.vat_rate, wf_rate_units(a.vat_rate) AS rate_units,
       m.account, art.article_number, coalesce(art.is_service, false) AS is_service,
       left(CASE WHEN a.line_type = 'line_item' AND a.qty <> a.quantity
                 THEN CAST(a.quantity AS VARCHAR) || ' x ' ELSE '' END
            || coalesce(nullif(trim(a.name), ''), CASE a.line_type WHEN 'shipping' THEN 'Frakt' WHEN 'fee' THEN 'Avgift'
                                                                ELSE 'Artikel' END)
            || CASE WHEN a.n_parts > 1 THEN ' ' || wf_rate_text(a.vat_rate) || ' %' ELSE '' END, 255) AS description,
       a.qty,
       -- unit price rounded up to whole öre so that the row discount (AMOUNT) is never negative
       wf_amount(wf_div_ceil(greatest(a.sub_cents, a.amount_cents) * 100, CAST(a.qty * 100 AS HUGEINT))) AS price,
       a.amount_cents, a.tax_cents,
       CASE WHEN (coalesce(a.n_rates, 0) > 1 AND a.n_parts IS NULL) OR a.n_unknown > 0 THEN 'line_vat_rate_unknown'
            WHEN a.vat_rate IS NULL THEN 'line_vat_rate_unknown'
            WHEN m.account IS NULL OR NOT a.rate_valid THEN 'vat_rate_not_in_mapping'
       END AS line_reason,
       CASE WHEN coalesce(a.n_rates, 0) > 1 AND a.n_parts IS NULL
                THEN a.line_type || ' ' || a.line_id || ' is taxed at several rates ('
                     || array_to_string(list_transform(a.tax_rates, x -> wf_rate_text(x) || ' %'), ', ') || ')'
                     || CASE WHEN a.line_type <> 'line_item' THEN ' and the goods carry none of them' ELSE '' END
            WHEN a.n_unknown > 0 OR a.vat_rate IS NULL THEN a.line_type || ' ' || a.line_id || ': tax rate not found'
            WHEN m.account IS NULL THEN 'no ' || a.kind || ' account for ' || a.region
                 || coalesce(' ' || CASE WHEN a.region = 'eu_consumer' THEN a.tax_country END, '')
                 || ' at ' || CAST(CAST(a.vat_rate AS DOUBLE) AS VARCHAR) || ' % in the mapping'
            WHEN NOT a.rate_valid THEN a.tax_country || ' ' || wf_rate_text(a.vat_rate) || ' % is not valid on '
                 || a.invoice_date || ', the invoice date, in the mapping (accounts.eu_consumer.countries.'
                 || a.tax_country || '.rates)'
       END AS line_reason_detail
FROM amounts a
LEFT JOIN map_accounts m
       ON m.region = a.region AND m.kind = a.kind AND m.vat_rate = a.vat_rate
      AND m.country IS NOT DISTINCT FROM CASE WHEN a.region = 'eu_consumer' THEN a.tax_country END
LEFT JOIN wf_articles art
       ON a.line_type = 'line_item' AND art.product_id = a.product_id
      AND art.variation_id IS NOT DISTINCT FROM nullif(a.variation_id, 0);

-- 3. Per order and VAT rate: Fortnox's VAT of the rows and the VAT rounding amount that makes it WooCommerce's tax.
CREATE OR REPLACE TEMP VIEW wf_invoice_vat_rows AS SELECT order_id AS doc, * FROM wf_lines;
CREATE OR REPLACE TEMP TABLE wf_rate_sums AS
SELECT doc AS order_id, * EXCLUDE (doc) FROM wf_vat_rounding('wf_invoice_vat_rows');

-- 3b. invoicing.mode daily_vouchers (docs/accounting.md §13): the orders a day's voucher books instead of an
-- invoice, when nothing else keeps them out: paid Swedish sales in SEK through a method with an account (the
-- voucher's debit), with an invoice date on or after mode_from, whose invoice the sink has not started (a booked
-- invoice is history). An order not paid when it is synced is invoiced: the buyer pays against the invoice. An
-- order on a day whose voucher the ledger holds stays on it whatever the mode (a booked voucher is history too), so
-- a switch back to invoices books by invoice only the orders of the days not booked yet.
CREATE OR REPLACE TEMP TABLE wf_voucher_orders AS
WITH booked_days AS (
    SELECT DISTINCT CAST(regexp_extract(d.source_key, '^day (\d{4}-\d{2}-\d{2}) ', 1) AS DATE) AS voucher_date
    FROM ledger.documents d JOIN map_settings s ON d.shop = s.shop
    WHERE d.entity = 'daily_voucher' AND d.status <> 'failed'
), on_booked_voucher AS (
    SELECT DISTINCT l.order_id
    FROM deltas.voucher_lines l JOIN map_settings s ON l.shop = s.shop
    WHERE l.member = 'order ' || l.order_id AND l.order_id IN (SELECT order_id FROM wf_orders)
      AND l.voucher_date IN (SELECT voucher_date FROM booked_days)
)
SELECT o.order_id, coalesce(pm.account, dm.account) AS payment_account
FROM wf_orders o
JOIN map_settings s ON true
LEFT JOIN map_payment_methods pm ON pm.payment_method = o.payment_method AND NOT pm.is_default
LEFT JOIN map_payment_methods dm ON dm.is_default
WHERE o.region = 'sweden' AND upper(o.currency) = 'SEK' AND NOT o.invoice_started
  AND o.date_paid IS NOT NULL AND coalesce(pm.account, dm.account) IS NOT NULL
  AND (s.invoicing_mode = 'daily_vouchers' AND o.invoice_date >= s.mode_from
       OR o.order_id IN (SELECT order_id FROM on_booked_voucher));

-- 4. One invoice per order: header and totals (4a), rows (4b: lines, VAT rounding rows, the round-off row),
-- the payload (4c).
CREATE OR REPLACE TEMP TABLE wf_invoice_headers AS
WITH sums AS (
    SELECT order_id,
           sum(a + x + CASE WHEN gross THEN 0 ELSE fortnox_vat END) AS fortnox_total,
           sum(x) AS vat_adjustment,
           sum(fortnox_vat) AS fortnox_vat,
           bool_or(vat_unmatched) AS vat_unmatched
    FROM wf_rate_sums GROUP BY order_id
),
line_counts AS (
    SELECT order_id, count(*) AS n_lines FROM wf_lines GROUP BY order_id
),
-- (an ordered aggregate costs a sort per group: only the few orders with a line reason pay it)
line_reasons AS (
    SELECT order_id, min(line_reason) AS line_reason,
           string_agg(line_reason_detail, '; ' ORDER BY type_order, line_id) AS line_reason_detail
    FROM wf_lines WHERE line_reason IS NOT NULL GROUP BY order_id
),
hdr AS (
    SELECT o.order_id, coalesce(s.fortnox_total, 0) AS fortnox_total_cents,
           wf_cents(o.total) - coalesce(s.fortnox_total, 0) AS round_off_cents,
           coalesce(s.vat_adjustment, 0) AS vat_adjustment_cents, coalesce(s.vat_unmatched, false) AS vat_unmatched,
           coalesce(s.fortnox_vat, 0) AS fortnox_vat_cents,
           lr.line_reason, lr.line_reason_detail, coalesce(lc.n_lines, 0) AS n_lines,
           m.round_off_account, m.price_list, m.bookkeep,
           coalesce(o.order_reason,
                    CASE WHEN coalesce(lc.n_lines, 0) = 0 THEN 'no_lines' END,
                    lr.line_reason,
                    CASE WHEN coalesce(s.vat_unmatched, false) THEN 'vat_mismatch' END,
                    CASE WHEN v.order_id IS NOT NULL THEN 'on_daily_voucher' END) AS reason,
           coalesce(o.order_reason_detail,
                    CASE WHEN coalesce(lc.n_lines, 0) = 0 THEN 'the order has no line items, shipping or fee lines' END,
                    lr.line_reason_detail,
                    CASE WHEN coalesce(s.vat_unmatched, false)
                         THEN 'the tax WooCommerce charged does not fit the VAT rate of its lines '
                              || '(more than per-line rounding)' END,
                    CASE WHEN v.order_id IS NOT NULL
                         THEN 'booked on the daily voucher of ' || o.invoice_date || ' (deltas.voucher_lines)' END)
               AS reason_detail
    FROM wf_orders o
    JOIN map_settings m ON true
    LEFT JOIN wf_voucher_orders v ON v.order_id = o.order_id
    LEFT JOIN sums s ON s.order_id = o.order_id
    LEFT JOIN line_counts lc ON lc.order_id = o.order_id
    LEFT JOIN line_reasons lr ON lr.order_id = o.order_id
)
SELECT * FROM hdr;

-- 4b. Every row of every invoiceable order's invoice as JSON, with its place (g, k) on the invoice.
CREATE OR REPLACE TEMP TABLE wf_invoice_row_items AS
SELECT * FROM (
    SELECT order_id, type_order AS g, line_id AS k, part AS p,
           CASE WHEN article_number IS NULL
                THEN json_object('Description', description, 'DeliveredQuantity', qty, 'Price', price,
                                 'Discount', CAST(price * qty - wf_amount(amount_cents) AS DECIMAL(18, 2)),
                                 'DiscountType', 'AMOUNT', 'VAT', wf_row_vat(vat_rate), 'AccountNumber', account)
                ELSE json_object('Description', description, 'DeliveredQuantity', qty, 'Price', price,
                                 'Discount', CAST(price * qty - wf_amount(amount_cents) AS DECIMAL(18, 2)),
                                 'DiscountType', 'AMOUNT', 'VAT', wf_row_vat(vat_rate), 'AccountNumber', account,
                                 'ArticleNumber', article_number) END AS row_json
    FROM wf_lines
    UNION ALL
    SELECT r.order_id, 4, CAST(r.vat_rate * 100 AS BIGINT), 1,
           json_object('Description', 'Momsavrundning ' || wf_rate_text(r.vat_rate) || ' %',
                       'DeliveredQuantity', CAST(1 AS DECIMAL(18, 2)), 'Price', wf_amount(r.x),
                       'Discount', CAST(0 AS DECIMAL(18, 2)), 'DiscountType', 'AMOUNT',
                       'VAT', wf_row_vat(r.vat_rate), 'AccountNumber', r.account)
    FROM wf_rate_sums r WHERE r.x <> 0
    UNION ALL
    SELECT h.order_id, 5, 0, 1,
           json_object('Description', 'Öresavrundning', 'DeliveredQuantity', CAST(1 AS DECIMAL(18, 2)),
                       'Price', wf_amount(h.round_off_cents), 'Discount', CAST(0 AS DECIMAL(18, 2)),
                       'DiscountType', 'AMOUNT', 'VAT', 0, 'AccountNumber', h.round_off_account)
    FROM wf_invoice_headers h WHERE h.round_off_cents <> 0
)
WHERE order_id IN (SELECT order_id FROM wf_invoice_headers WHERE reason IS NULL);

-- 4c. The rows of every invoice as one JSON array, in row order (list_sort of (g, k, row) within each group is
-- far cheaper than an ordered aggregate). A list aggregate cannot spill to disk, so this runs in parts of the
-- orders ($part of $parts, build.py sizes them) to stay within DuckDB's memory_limit.
CREATE OR REPLACE TEMP TABLE wf_invoice_rows (order_id BIGINT, invoice_rows JSON);

INSERT INTO wf_invoice_rows
SELECT order_id, to_json(list_transform(list_sort(list({'g': g, 'k': k, 'p': p, 'row': row_json})), r -> r.row))
FROM wf_invoice_row_items WHERE hash(order_id) % $parts = $part GROUP BY order_id;

-- 4d. The invoice payload, in the same parts as 4c (a table macro of the part, so that each part joins 1/n of
-- the orders with their rows).
CREATE OR REPLACE TEMP MACRO wf_invoice_part(part, parts) AS TABLE
WITH coupons AS (
    SELECT c.order_id, string_agg(c.code, ', ' ORDER BY c.line_id) AS codes
    FROM wf_staged_coupon_lines c, map_settings s
    WHERE c.shop = s.shop AND hash(c.order_id) % parts = part GROUP BY c.order_id
),
-- the mention an invoice without Swedish VAT must carry (invoicing.legal_texts): an intra-EU supply of goods, a
-- service under reverse charge, an export
legal AS (
    SELECT l.order_id,
           CASE WHEN any_value(l.region) = 'export' THEN any_value(m.text_export)
                ELSE concat_ws(' ', CASE WHEN bool_or(l.line_type = 'line_item' AND NOT l.is_service)
                                         THEN any_value(m.text_intra_eu_goods) END,
                               CASE WHEN bool_or(l.line_type = 'line_item' AND l.is_service)
                                         OR NOT bool_or(l.line_type = 'line_item')
                                    THEN any_value(m.text_reverse_charge) END) END AS text
    FROM (SELECT l.*, o.region FROM wf_lines l JOIN wf_orders o USING (order_id)) l, map_settings m
    WHERE l.region IN ('eu_business', 'export') AND hash(l.order_id) % parts = part
    GROUP BY l.order_id
),
-- the invoice's terms by payment method (payments.methods, else payments.default): TermsOfPayment, DueDate and
-- whether Fortnox e-mails it (docs/accounting.md §1); the delivery address only when the order has one
terms AS (
    SELECT o.order_id, coalesce(m.terms_of_payment, dm.terms_of_payment) AS code,
           coalesce(m.due_days, dm.due_days) AS due_days,
           coalesce(m.email_invoice, dm.email_invoice, false) AND wf_email(o.billing_email) IS NOT NULL AS email
    FROM (SELECT order_id, payment_method, billing_email FROM wf_orders WHERE hash(order_id) % parts = part) o
    LEFT JOIN map_payment_methods m ON m.payment_method = o.payment_method AND NOT m.is_default
    LEFT JOIN map_payment_methods dm ON dm.is_default
)
SELECT h.shop, h.order_id, h.number, h.status, h.currency, h.fx_rate, h.fx_unit, h.region, h.tax_country, h.invoice_date,
       h.customer_number, h.total, h.total_tax, h.prices_include_tax, h.bookkeep,
       h.payment_method, h.date_paid, h.date_created, h.date_modified,
       wf_amount(h.round_off_cents) AS round_off,
       wf_amount(h.vat_adjustment_cents) AS vat_adjustment,
       wf_amount(h.fortnox_vat_cents) AS fortnox_vat,
       h.vat_unmatched, h.reason, h.reason_detail,
       -- the payload of an invoiceable order only (no other delta reads it)
       CASE WHEN h.reason IS NULL THEN
       json_object('Invoice', json_merge_patch(json_merge_patch(
           json_object(
               'CustomerNumber', h.customer_number,
               'InvoiceDate', strftime(h.invoice_date, '%Y-%m-%d'),
               'Currency', upper(h.currency),
               'VATIncluded', h.prices_include_tax,
               'PriceList', h.price_list,
               'YourOrderNumber', left(coalesce(h.number, CAST(h.order_id AS VARCHAR)), 75),
               'ExternalInvoiceReference1', CAST(h.order_id AS VARCHAR),
               'CustomerName', left(coalesce(nullif(trim(h.billing_company), ''),
                                             nullif(trim(concat_ws(' ', trim(h.billing_first_name), trim(h.billing_last_name))), ''),
                                             wf_email(h.billing_email), 'Order ' || h.order_id), 1024),
               'Address1', coalesce(h.billing_address_1, ''),
               'Address2', coalesce(h.billing_address_2, ''),
               'ZipCode', left(coalesce(h.billing_postcode, ''), 10),
               'City', coalesce(h.billing_city, ''),
               'InvoiceRows', coalesce(rj.invoice_rows, json('[]'))),
           json_object('CurrencyRate', h.fx_rate, 'CurrencyUnit', h.fx_unit,
                       'CostCenter', h.cost_center, 'Project', h.project,
                       'Remarks', nullif(left(concat_ws(chr(10), lg.text, 'Rabattkod: ' || cp.codes), 1024), ''),
                       'Country', bc.name, 'TermsOfPayment', t.code,
                       'DueDate', strftime(h.invoice_date + CAST(t.due_days AS INTEGER), '%Y-%m-%d'),
                       'EmailInformation', CASE WHEN t.email
                                                THEN json_object('EmailAddressTo', wf_email(h.billing_email)) END)),
           CASE WHEN nullif(trim(h.shipping_address_1), '') IS NOT NULL OR nullif(trim(h.shipping_city), '') IS NOT NULL
                THEN json_object(
                    'DeliveryName', left(coalesce(nullif(trim(h.shipping_company), ''),
                                                  trim(concat_ws(' ', trim(h.shipping_first_name),
                                                                 trim(h.shipping_last_name)))), 1024),
                    'DeliveryAddress1', coalesce(h.shipping_address_1, ''),
                    'DeliveryAddress2', coalesce(h.shipping_address_2, ''),
                    'DeliveryZipCode', left(coalesce(h.shipping_postcode, ''), 10),
                    'DeliveryCity', coalesce(h.shipping_city, ''), 'DeliveryCountry', sc.name)
                ELSE json_object() END
       )) END AS payload
FROM (SELECT * FROM wf_orders JOIN wf_invoice_headers USING (order_id) WHERE hash(order_id) % parts = part) h
LEFT JOIN (FROM wf_invoice_rows WHERE hash(order_id) % parts = part) rj ON rj.order_id = h.order_id
LEFT JOIN coupons cp ON cp.order_id = h.order_id
LEFT JOIN legal lg ON lg.order_id = h.order_id
LEFT JOIN terms t ON t.order_id = h.order_id
LEFT JOIN map_country_names bc ON bc.country = upper(trim(h.billing_country))
LEFT JOIN map_country_names sc ON sc.country = upper(trim(h.shipping_country));

CREATE OR REPLACE TEMP TABLE wf_invoices AS FROM wf_invoice_part(0, 1) WHERE false;

INSERT INTO wf_invoices FROM wf_invoice_part($part, $parts);
