-- The OSS return (docs/accounting.md "OSS return"): every document of an OSS distance sale per VAT rate as each
-- side of the books has it (rebuilt with reconciliation/books), and the quarterly figures per country and rate.
CREATE TABLE reconciliation.oss_documents (
    shop VARCHAR NOT NULL,
    side VARCHAR NOT NULL,            -- woocommerce | fortnox
    document VARCHAR NOT NULL,        -- 'order <id>' | 'refund <id>' | 'reversal <id>' | 'fortnox <number>'
    order_id BIGINT,
    day DATE NOT NULL,                -- the document's date: the sale's invoice date, a refund's, InvoiceDate
    country VARCHAR NOT NULL,         -- member state of consumption
    vat_rate DECIMAL(9, 4) NOT NULL,
    currency VARCHAR NOT NULL,
    rate DECIMAL(18, 6) NOT NULL,     -- SEK per unit of the currency on the document
    net_cents HUGEINT NOT NULL,       -- document currency
    vat_cents HUGEINT NOT NULL,
    vat_rounding_cents HUGEINT NOT NULL,  -- woofort's Momsavrundning rows in net_cents (Fortnox side), §3
    net_sek_cents HUGEINT NOT NULL,
    vat_sek_cents HUGEINT NOT NULL
);

CREATE TABLE reconciliation.oss_return (
    shop VARCHAR NOT NULL,
    quarter VARCHAR NOT NULL,         -- 2026-Q4
    country VARCHAR NOT NULL,
    vat_rate DECIMAL(9, 4) NOT NULL,
    documents INTEGER NOT NULL,       -- WooCommerce's documents (sales, refunds, reversals) in the figures
    taxable_sek DECIMAL(18, 2) NOT NULL,
    vat_sek DECIMAL(18, 2) NOT NULL,
    taxable_eur DECIMAL(18, 2),       -- NULL without the quarter's ECB rate
    vat_eur DECIMAL(18, 2),
    fortnox_taxable_sek DECIMAL(18, 2) NOT NULL,
    fortnox_vat_sek DECIMAL(18, 2) NOT NULL,
    fortnox_vat_rounding_sek DECIMAL(18, 2) NOT NULL,  -- Momsavrundning rows in fortnox_taxable_sek (§3)
    PRIMARY KEY (shop, quarter, country, vat_rate)
);
