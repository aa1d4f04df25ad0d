-- deltas.invoice_delta: orders in a trigger status (mapping invoicing.trigger_statuses), from WOOFORT_START_DATE
-- on, whose invoice is not in the ledger with the same payload hash. Needs _macros.sql, _articles.sql, _orders.sql.
-- action: create (not in the ledger, or never got a Fortnox number, or cancelled there), update (in the ledger,
-- not booked, payload changed), reissue (booked, payload changed: the sink credits it and creates a new one).
-- Also deltas.invoice_exclusions: every staged order that is not invoiced (not in the ledger, not in this
-- delta), with the reason.
CREATE OR REPLACE TABLE deltas.invoice_delta AS
WITH inv AS (
    SELECT i.*, md5(CAST(i.payload AS VARCHAR)) AS payload_hash
    FROM wf_invoices i
    WHERE i.reason IS NULL
)
SELECT inv.shop,
       CAST(inv.order_id AS VARCHAR) AS source_key,
       'invoice' AS entity,
       CASE WHEN d.source_key IS NULL OR d.fortnox_number IS NULL OR d.status = 'cancelled' THEN 'create'
            WHEN d.booked THEN 'reissue'
            ELSE 'update' END AS action,
       inv.payload,
       inv.payload_hash,
       inv.order_id,
       CAST(NULL AS VARCHAR) AS ref_entity,
       CAST(NULL AS VARCHAR) AS ref_source_key,
       inv.bookkeep,
       inv.invoice_date,
       inv.customer_number,
       upper(inv.currency) AS currency,
       inv.fx_rate AS currency_rate,
       CAST(inv.total AS DECIMAL(18, 2)) AS total,
       CAST(inv.total_tax AS DECIMAL(18, 2)) AS total_tax,
       inv.round_off,
       inv.vat_adjustment,
       inv.region
FROM inv
LEFT JOIN ledger.documents d
       ON d.shop = inv.shop AND d.entity = 'invoice' AND d.source_key = CAST(inv.order_id AS VARCHAR)
WHERE d.payload_hash IS DISTINCT FROM inv.payload_hash
ORDER BY inv.order_id;

CREATE OR REPLACE TABLE deltas.invoice_exclusions AS
SELECT i.shop, i.order_id, coalesce(i.reason, 'unknown') AS reason, i.reason_detail AS detail, i.status,
       CAST(i.date_created AS DATE) AS order_date, CAST(i.total AS DECIMAL(18, 2)) AS total, upper(i.currency) AS currency
FROM wf_invoices i
WHERE i.reason IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ledger.documents d
                  WHERE d.shop = i.shop AND d.entity = 'invoice' AND d.source_key = CAST(i.order_id AS VARCHAR)
                    AND d.fortnox_number IS NOT NULL AND d.status <> 'cancelled')
ORDER BY i.order_id;
