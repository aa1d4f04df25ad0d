-- A booked document is history (issue 13, item 1). The ledger keeps two digests of what woofort sent for an invoice:
--   money_hash     currency, VAT treatment and every row's VAT rate and amount: what was sold, for how much
--   accounts_hash  the same with each row's account
-- Later syncs compare a booked invoice's money_hash, not its payload: a SKU or product rename, a new description,
-- a customer's e-mail or an account change in the mapping never credit or re-issue it. An account change is
-- listed (deltas.invoice_drift) until an operator asks for a re-issue (`woofort reissue ORDER`), recorded here
-- against the document number it replaces: the request is spent as soon as the order has another number.
-- Ledger rows written before this migration have no digests: the mirrored Fortnox document stands in for them.
ALTER TABLE ledger.documents ADD COLUMN money_hash VARCHAR;
ALTER TABLE ledger.documents ADD COLUMN accounts_hash VARCHAR;

CREATE TABLE ledger.reissue_requests (
    shop VARCHAR NOT NULL,
    source_key VARCHAR NOT NULL,      -- the order id
    fortnox_number VARCHAR NOT NULL,  -- the invoice to be replaced
    requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shop, source_key, fortnox_number)
);
