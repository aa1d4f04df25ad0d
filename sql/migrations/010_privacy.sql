-- Privacy: a log of personal-data erasures (retention sweeps and `woofort forget`). It records what was done and
-- how many rows, never who: no e-mail, name or hash of them is kept here.
CREATE SCHEMA IF NOT EXISTS privacy;

CREATE TABLE privacy.erasures (
    shop VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- retention | forget
    cutoff TIMESTAMPTZ,               -- retention: raw rows fetched before this were blanked
    counts JSON NOT NULL,             -- rows changed per table
    erased_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
