-- What VIES answered about each buyer VAT number woofort asked it about (WOOFORT_VIES=on; docs/accounting.md
-- "Regions and VAT numbers"): the evidence behind a reverse-charge sale, kept as the accountant's record.
CREATE TABLE ledger.vies_checks (
    number VARCHAR PRIMARY KEY,       -- with its member-state prefix, as VIES writes it (EL for Greece)
    asked_at TIMESTAMPTZ NOT NULL,
    valid BOOLEAN,                    -- NULL: VIES could not say (a member state's register down, no answer)
    detail VARCHAR,                   -- VIES's error, or why there was no answer
    request_date VARCHAR              -- VIES's own timestamp of the answer
);
