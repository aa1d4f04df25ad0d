-- Fortnox's currency register as last read (GET /3/currencies/{Code}; one current rate per currency, with the
-- date it is for). The deltas take a foreign-currency invoice's rate from it only when that date is the invoice
-- date (docs/accounting.md "Foreign currency"); the preflight refreshes it on every run.
CREATE TABLE ledger.fortnox_currency_rates (
    shop VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    rate_date DATE NOT NULL,
    rate DECIMAL(18, 6) NOT NULL,    -- BuyRate: SEK per `unit` units of the currency
    unit DECIMAL(18, 6) NOT NULL,
    read_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, currency)
);
