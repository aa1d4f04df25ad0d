-- How the Fortnox company computes VAT, as `woofort fortnox calibrate` measured it on a probe document (an order,
-- or an unbooked invoice when the operator chose one), cancelled afterwards: one row per measurement, the latest
-- per shop counts (defs/fortnox/calibration.py). The deltas build their VAT rounding rows for it and the
-- reconciliation bounds the rounding it tolerates by it; never measured: per_rate_sum, half up (docs/accounting.md
-- §3). Kept for the record: when, which company (organisation number, database number), which document, and the
-- figures Fortnox answered.
CREATE TABLE meta.fortnox_vat_model (
    shop VARCHAR NOT NULL,
    measured_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    organisation_number VARCHAR,
    company_name VARCHAR,
    database_number VARCHAR,
    probe_document VARCHAR NOT NULL,          -- 'order' | 'invoice'
    probe_number VARCHAR NOT NULL,
    vat_rounding VARCHAR NOT NULL CHECK (vat_rounding IN ('per_rate_sum', 'per_row')),
    half_rounding VARCHAR NOT NULL CHECK (half_rounding IN ('up', 'even')),
    round_off BOOLEAN NOT NULL,
    total_vat DECIMAL(18, 2) NOT NULL,        -- the probe's TotalVAT
    round_off_amount DECIMAL(18, 2) NOT NULL  -- the probe's RoundOff
);
