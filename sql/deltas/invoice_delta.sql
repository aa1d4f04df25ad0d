-- deltas.invoice_delta: orders in a trigger status (mapping invoicing.trigger_statuses), from WOOFORT_START_DATE
-- on, whose invoice is not in the ledger as it is now. Needs _macros.sql, _articles.sql, _orders.sql.
-- action: create (not in the ledger, or never got a Fortnox number, or cancelled there), update (in the ledger,
-- not booked, payload changed), reissue (booked, and what it sold changed, or an operator asked: the sink credits
-- it and creates a new one).
-- A booked invoice is history (docs/accounting.md "When the shop changes"): it is compared by what it sold
-- (money_hash: currency, VAT treatment, every row's VAT rate and amount), never by its payload, so a rename, a new
-- description or customer e-mail, or an account change in the mapping leaves it alone. Ledger rows from before
-- money_hash existed are compared with the mirrored Fortnox document, else by payload.
-- Also deltas.invoice_drift (booked invoices the mapping would now put on other accounts: listed, not rewritten)
-- and deltas.invoice_exclusions (every staged order that is not invoiced, with the reason).
CREATE OR REPLACE TEMP TABLE wf_invoice_state AS
WITH inv AS (
    SELECT i.*, md5(CAST(i.payload AS VARCHAR)) AS payload_hash,
           -- the payload without the fields added by issue 14 item 7 (terms, country, delivery, e-mail): what a
           -- ledger row without digests was sent, so those fields alone never re-issue a booked invoice
           md5(CAST(json_object('Invoice', json_merge_patch(i.payload -> '$.Invoice', json_object(
               'Country', NULL, 'TermsOfPayment', NULL, 'DueDate', NULL, 'EmailInformation', NULL,
               'DeliveryName', NULL, 'DeliveryAddress1', NULL, 'DeliveryAddress2', NULL, 'DeliveryZipCode', NULL,
               'DeliveryCity', NULL, 'DeliveryCountry', NULL))) AS VARCHAR)) AS legacy_payload_hash,
           wf_sold_digest(i.payload -> '$.Invoice', false) AS sold_digest,
           md5(i.region || '|' || wf_sold_digest(i.payload -> '$.Invoice', false)) AS money_hash,
           md5(i.region || '|' || wf_sold_digest(i.payload -> '$.Invoice', true)) AS accounts_hash
    FROM wf_invoices i
    WHERE i.reason IS NULL
),
led AS (
    SELECT d.*,
           CASE WHEN d.money_hash IS NULL THEN
               (SELECT wf_sold_digest(f.document, false) FROM ledger.fortnox_documents f
                WHERE f.shop = d.shop AND f.kind = 'invoice' AND f.number = d.fortnox_number) END AS mirrored_digest,
           (SELECT max(q.requested_at) FROM ledger.reissue_requests q
            WHERE q.shop = d.shop AND q.source_key = d.source_key AND q.fortnox_number = d.fortnox_number)
               AS reissue_requested_at
    FROM ledger.documents d, map_settings s
    WHERE d.shop = s.shop AND d.entity = 'invoice'
      AND d.source_key IN (SELECT CAST(order_id AS VARCHAR) FROM wf_scope)
)
SELECT inv.*, led.source_key IS NOT NULL AS in_ledger, led.fortnox_number, led.status AS ledger_status, led.booked,
       led.payload_hash IS DISTINCT FROM inv.payload_hash AS payload_changed,
       CASE WHEN led.money_hash IS NOT NULL THEN led.money_hash <> inv.money_hash
            WHEN led.mirrored_digest IS NOT NULL THEN led.mirrored_digest <> inv.sold_digest
            ELSE led.payload_hash IS DISTINCT FROM inv.payload_hash
                 AND led.payload_hash IS DISTINCT FROM inv.legacy_payload_hash END AS money_changed,
       led.accounts_hash IS NOT NULL AND led.accounts_hash <> inv.accounts_hash AS accounts_changed,
       led.reissue_requested_at IS NOT NULL AS reissue_requested,
       -- a correction is dated the day of the change or of the operator's request
       greatest(inv.invoice_date, CAST(inv.date_modified AS DATE),
                coalesce(CAST(led.reissue_requested_at AS DATE), inv.invoice_date)) AS correction_date
FROM inv
LEFT JOIN led ON led.shop = inv.shop AND led.source_key = CAST(inv.order_id AS VARCHAR);

CREATE OR REPLACE TEMP TABLE wf_new_invoice_delta AS
SELECT s.shop,
       CAST(s.order_id AS VARCHAR) AS source_key,
       'invoice' AS entity,
       CASE WHEN NOT s.in_ledger OR s.fortnox_number IS NULL OR s.ledger_status = 'cancelled' THEN 'create'
            WHEN s.booked THEN 'reissue'
            ELSE 'update' END AS action,
       -- the sink moves a correction past Fortnox's locked period
       CASE WHEN s.in_ledger AND s.fortnox_number IS NOT NULL AND s.ledger_status <> 'cancelled' AND s.booked
            THEN json_merge_patch(s.payload, json_object('Invoice', json_object(
                     'InvoiceDate', strftime(s.correction_date, '%Y-%m-%d'))))
            ELSE s.payload END AS payload,
       s.payload_hash,
       s.order_id,
       CAST(NULL AS VARCHAR) AS ref_entity,
       CAST(NULL AS VARCHAR) AS ref_source_key,
       s.bookkeep,
       s.invoice_date,
       s.customer_number,
       upper(s.currency) AS currency,
       s.fx_rate AS currency_rate,
       CAST(s.total AS DECIMAL(18, 2)) AS total,
       CAST(s.total_tax AS DECIMAL(18, 2)) AS total_tax,
       s.round_off,
       s.vat_adjustment,
       s.region,
       s.tax_country,
       s.money_hash,
       s.accounts_hash,
       CASE WHEN s.booked THEN s.fortnox_number END AS replaces,
       -- a row at a non-whole rate (FI 25.5 %): the sink books it through an order and its createinvoice, as an
       -- invoice row's VAT is an integer in Fortnox's spec (docs/accounting.md §3, "Non-whole rates")
       len(list_filter(CAST(json_extract(s.payload, '$.Invoice.InvoiceRows[*].VAT') AS DECIMAL(9, 4)[]),
                       v -> v <> round(v, 0))) > 0 AS via_order
FROM wf_invoice_state s
WHERE NOT s.in_ledger OR s.fortnox_number IS NULL OR s.ledger_status = 'cancelled'
   OR (s.booked AND (s.money_changed OR s.reissue_requested))
   OR (NOT s.booked AND s.payload_changed)
ORDER BY s.order_id;

CREATE OR REPLACE TEMP TABLE wf_new_invoice_drift AS
SELECT s.shop, s.order_id, s.fortnox_number, 'accounts' AS drift,
       'booked invoice ' || s.fortnox_number || ' sold the same, but the mapping now puts its rows on other '
       || 'accounts: left as booked; `woofort reissue ' || s.order_id || '` credits it and issues it anew' AS detail
FROM wf_invoice_state s
WHERE s.booked AND NOT s.money_changed AND s.accounts_changed AND NOT s.reissue_requested
ORDER BY s.order_id;

CREATE OR REPLACE TEMP TABLE wf_new_invoice_exclusions AS
SELECT i.shop, i.order_id, coalesce(i.reason, 'unknown') AS reason, i.reason_detail AS detail, i.status,
       CAST(i.date_created AS DATE) AS order_date, CAST(i.total AS DECIMAL(18, 2)) AS total, upper(i.currency) AS currency
FROM wf_invoices i
WHERE i.reason IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ledger.documents d
                  WHERE d.shop = i.shop AND d.entity = 'invoice' AND d.source_key = CAST(i.order_id AS VARCHAR)
                    AND d.fortnox_number IS NOT NULL AND d.status <> 'cancelled')
ORDER BY i.order_id;
