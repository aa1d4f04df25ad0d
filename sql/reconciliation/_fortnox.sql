-- The Fortnox side of the books, per document and VAT rate (TEMP tables), from ledger.fortnox_documents (what
-- Fortnox answered or holds: docs/accounting.md §12), restricted to the shop's documents: those whose
-- ExternalInvoiceReference1 is a staged order of the shop or whose number is in the shop's ledger.
-- Per rate: the rows' Total summed per VAT rate (gross rows when VATIncluded, else net), the VAT Fortnox computes
-- on that sum or on each row, as the company's measured VAT model says (rc_vat_model; fortnox_arithmetic R5); rows on the round-off account (accounts.round_off, 3740) and
-- Fortnox's own RoundOff (tenant öresavrundning) form the bucket "öresavrundning" (vat_rate NULL). The VAT per
-- rate adds up to the document's TotalVAT and the buckets to its Total; a document where they do not is listed
-- (vat_model_ok false), so the per-rate split never hides a difference in Fortnox's own totals.
-- Only the documents of the build's scope are read (rc_doc_orders, _scope.sql: those of its orders, and every
-- document without an order); $full: all of them.

CREATE OR REPLACE TEMP TABLE rc_scope_docs AS
SELECT number FROM rc_doc_orders
WHERE kind = 'invoice' AND ($full OR order_id IS NULL OR order_id IN (SELECT order_id FROM rc_scope));

CREATE OR REPLACE TEMP TABLE rc_fx_docs AS
WITH ledger_numbers AS (
    SELECT fortnox_number AS number FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity IN ('invoice', 'credit_invoice', 'invoice_reissue')
      AND d.fortnox_number IS NOT NULL AND ($full OR d.fortnox_number IN (SELECT number FROM rc_scope_docs))
),
orders AS (SELECT CAST(o.order_id AS VARCHAR) AS ref FROM staging.orders o, map_settings s
           WHERE o.shop = s.shop AND ($full OR o.order_id IN (SELECT order_id FROM rc_scope))),
docs AS (
    SELECT f.shop, f.number, f.document AS d, f.source, trim(coalesce(json_extract_string(f.document, '$.ExternalInvoiceReference1'), '')) AS ref1
    FROM ledger.fortnox_documents f, map_settings s
    WHERE f.shop = s.shop AND f.kind = 'invoice' AND ($full OR f.number IN (SELECT number FROM rc_scope_docs))
)
SELECT docs.shop, docs.number, docs.d, docs.source, docs.ref1, TRY_CAST(docs.ref1 AS BIGINT) AS order_id,
       CAST(json_extract_string(d, '$.InvoiceDate') AS DATE) AS day,
       upper(coalesce(json_extract_string(d, '$.Currency'), 'SEK')) AS currency,
       CAST(coalesce(TRY_CAST(json_extract_string(d, '$.CurrencyRate') AS DECIMAL(18, 6)), 1)
            / coalesce(nullif(TRY_CAST(json_extract_string(d, '$.CurrencyUnit') AS DECIMAL(18, 6)), 0), 1)
            AS DECIMAL(18, 6)) AS rate,
       lower(coalesce(json_extract_string(d, '$.VATIncluded'), 'false')) = 'true' AS vat_included,
       lower(coalesce(json_extract_string(d, '$.Cancelled'), 'false')) = 'true' AS cancelled,
       lower(coalesce(json_extract_string(d, '$.Credit'), 'false')) = 'true' AS credit,
       nullif(nullif(json_extract_string(d, '$.CreditInvoiceReference'), ''), '0') AS credit_ref,
       json_extract_string(d, '$.ExternalInvoiceReference2') AS ref2,
       rc_cents(CAST(json_extract_string(d, '$.Total') AS DECIMAL(18, 4))) AS total_cents,
       rc_cents(coalesce(TRY_CAST(json_extract_string(d, '$.TotalVAT') AS DECIMAL(18, 4)), 0)) AS total_vat_cents,
       rc_cents(coalesce(TRY_CAST(json_extract_string(d, '$.RoundOff') AS DECIMAL(18, 4)), 0)) AS roundoff_cents,
       rc_cents(TRY_CAST(json_extract_string(d, '$.Balance') AS DECIMAL(18, 4))) AS balance_cents
FROM docs
WHERE docs.ref1 IN (SELECT ref FROM orders) OR docs.number IN (SELECT number FROM ledger_numbers);

-- The payments on those documents (document currency, cents).
CREATE OR REPLACE TEMP TABLE rc_fx_payments AS
SELECT p.number, json_extract_string(p.document, '$.InvoiceNumber') AS invoice_number,
       rc_cents(CAST(coalesce(json_extract_string(p.document, '$.AmountCurrency'),
                              json_extract_string(p.document, '$.Amount')) AS DECIMAL(18, 4))) AS cents
FROM ledger.fortnox_documents p, map_settings m
WHERE p.shop = m.shop AND p.kind = 'invoice_payment'
  AND ($full OR p.number IN (SELECT o.number FROM rc_doc_orders o
                             WHERE o.kind = 'invoice_payment' AND o.ref IN (SELECT number FROM rc_fx_docs)));

CREATE OR REPLACE TEMP TABLE rc_fx_rows AS
SELECT x.number, x.vat_included,
       TRY_CAST(json_extract_string(r.j, '$.VAT') AS DECIMAL(9, 4)) AS vat_rate,
       coalesce(TRY_CAST(json_extract_string(r.j, '$.AccountNumber') AS INTEGER), 0) AS account,
       rc_cents(coalesce(TRY_CAST(json_extract_string(r.j, '$.Total') AS DECIMAL(18, 4)), 0)) AS total_cents,
       json_extract_string(r.j, '$.Description') AS description
FROM rc_fx_docs x, LATERAL (SELECT unnest(json_extract(x.d, '$.InvoiceRows[*]')) AS j) r;

CREATE OR REPLACE TEMP TABLE rc_fx_rates AS
WITH by_rate AS (
    SELECT r.number, r.vat_rate, any_value(r.vat_included) AS vat_included, count(*) AS n_rows,
           sum(r.total_cents) AS a, sum(rc_vat(r.total_cents, rc_rate_units(r.vat_rate), r.vat_included)) AS rv,
           sum(r.total_cents) FILTER (WHERE r.description LIKE 'Momsavrundning%') AS vat_rounding_cents
    FROM rc_fx_rows r, map_settings s
    WHERE r.account <> 0 AND r.account <> s.round_off_account
    GROUP BY ALL
),
vat AS (SELECT *, rc_rate_vat(a, rv, rc_rate_units(vat_rate), vat_included) AS vat_cents FROM by_rate)
SELECT number, vat_rate, n_rows, coalesce(vat_rounding_cents, 0) AS vat_rounding_cents, vat_cents,
       a - CASE WHEN vat_included THEN vat_cents ELSE 0 END AS net_cents
FROM vat;

-- per document: the round-off bucket (woofort's Öresavrundning rows + Fortnox's RoundOff) and the model check
CREATE OR REPLACE TEMP TABLE rc_fx_doc_totals AS
SELECT x.number,
       coalesce((SELECT sum(r.total_cents) FROM rc_fx_rows r, map_settings s
                 WHERE r.number = x.number AND r.account = s.round_off_account), 0) AS roundoff_rows_cents,
       coalesce((SELECT sum(vat_cents) FROM rc_fx_rates t WHERE t.number = x.number), 0) AS vat_sum_cents,
       coalesce((SELECT sum(vat_cents + net_cents) FROM rc_fx_rates t WHERE t.number = x.number), 0) AS rates_gross_cents
FROM rc_fx_docs x;

-- The day each live document counts on in the per-day comparison (docs/accounting.md §12 "Per-day rule"): a
-- correction (the order's invoices, and a credit invoice that voided one of them for a re-issue: an
-- invoice_reissue in the ledger, or a credit of the whole of an invoice the order has since replaced) counts on
-- the InvoiceDate of the order's first invoice, where WooCommerce has the sale; refunds and cancellations count on
-- their own InvoiceDate.
CREATE OR REPLACE TEMP TABLE rc_fx_book_day AS
WITH inv AS (
    SELECT order_id, number, day, total_cents FROM rc_fx_docs WHERE NOT credit AND NOT cancelled AND order_id IS NOT NULL
),
first_day AS (SELECT order_id, min(day) AS first_day, max(length(number) * 1e12 + TRY_CAST(number AS DOUBLE)) AS last_key
              FROM inv GROUP BY order_id),
voiding AS (
    SELECT d.fortnox_number AS number FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity = 'invoice_reissue' AND d.fortnox_number IS NOT NULL
      AND ($full OR d.fortnox_number IN (SELECT number FROM rc_fx_docs))
)
SELECT x.number,
       CASE WHEN x.order_id IS NULL OR f.first_day IS NULL THEN x.day
            WHEN NOT x.credit THEN f.first_day
            WHEN x.number IN (SELECT number FROM voiding) THEN f.first_day
            WHEN EXISTS (SELECT 1 FROM inv i WHERE i.order_id = x.order_id AND i.number = x.credit_ref
                         AND i.total_cents = -x.total_cents
                         AND length(i.number) * 1e12 + TRY_CAST(i.number AS DOUBLE) < f.last_key) THEN f.first_day
            ELSE x.day END AS book_day
FROM rc_fx_docs x LEFT JOIN first_day f ON f.order_id = x.order_id
WHERE NOT x.cancelled;
