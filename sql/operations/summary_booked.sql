-- What woofort booked in Fortnox, per document date: invoices, credit notes (credit invoices), payments and
-- vouchers (daily sales and provider fees), with their count and amount in SEK as Fortnox answered them
-- (ledger.fortnox_documents; an invoice in another currency counts Total x CurrencyRate / CurrencyUnit, rounded to
-- öre; a voucher its debits, the turnover accountants call omslutning). For `woofort sync`'s summary
-- (woofort_assets/cli/summary.py). Only documents the ledger holds as synced or adopted since $since (NULL: all).
-- Params: $shop, $since (TIMESTAMPTZ or NULL). One row per (day, kind): day NULL when Fortnox's answer is not kept.
WITH docs AS (
    SELECT d.entity, d.fortnox_number, f.document AS doc
    FROM ledger.documents d
    LEFT JOIN ledger.fortnox_documents f
           ON f.shop = d.shop AND f.number = d.fortnox_number
          AND f.kind = CASE WHEN d.entity = 'invoice_payment' THEN 'invoice_payment'
                            WHEN d.entity IN ('daily_voucher', 'fee_voucher') THEN 'voucher' ELSE 'invoice' END
    WHERE d.shop = $shop AND d.fortnox_number IS NOT NULL AND d.status IN ('synced', 'adopted')
      AND d.entity IN ('invoice', 'invoice_reissue', 'credit_invoice', 'invoice_payment', 'daily_voucher',
                       'fee_voucher')
      AND (CAST($since AS TIMESTAMPTZ) IS NULL OR d.synced_at >= CAST($since AS TIMESTAMPTZ))
),
typed AS (
    SELECT CASE WHEN entity = 'invoice_payment' THEN 'payments'
                WHEN entity IN ('daily_voucher', 'fee_voucher') THEN 'vouchers'
                WHEN lower(coalesce(json_extract_string(doc, '$.Credit'), 'false')) = 'true'
                     OR entity = 'credit_invoice' THEN 'credit_notes'
                ELSE 'invoices' END AS kind,
           CASE WHEN entity = 'invoice_payment' THEN TRY_CAST(json_extract_string(doc, '$.PaymentDate') AS DATE)
                WHEN entity IN ('daily_voucher', 'fee_voucher')
                    THEN TRY_CAST(json_extract_string(doc, '$.TransactionDate') AS DATE)
                ELSE TRY_CAST(json_extract_string(doc, '$.InvoiceDate') AS DATE) END AS day,
           CASE WHEN entity = 'invoice_payment' THEN TRY_CAST(json_extract_string(doc, '$.Amount') AS DECIMAL(18, 2))
                WHEN entity IN ('daily_voucher', 'fee_voucher')
                    THEN list_sum(list_transform(json_extract(doc, '$.VoucherRows[*]'),
                                                 r -> TRY_CAST(json_extract_string(r, '$.Debit') AS DECIMAL(18, 2))))
                ELSE CAST(round(TRY_CAST(json_extract_string(doc, '$.Total') AS DECIMAL(18, 4))
                                * coalesce(TRY_CAST(json_extract_string(doc, '$.CurrencyRate') AS DECIMAL(18, 6)), 1)
                                / coalesce(nullif(TRY_CAST(json_extract_string(doc, '$.CurrencyUnit') AS DECIMAL(18, 6)), 0), 1),
                                2) AS DECIMAL(18, 2)) END AS amount_sek,
           lower(coalesce(json_extract_string(doc, '$.Cancelled'), 'false')) = 'true' AS cancelled
    FROM docs
)
SELECT day, kind, count(*) AS documents, CAST(coalesce(sum(amount_sek), 0) AS DECIMAL(18, 2)) AS amount_sek
FROM typed
WHERE NOT cancelled
GROUP BY ALL
ORDER BY day NULLS LAST, kind;
