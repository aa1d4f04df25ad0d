"""Fortnox's VAT arithmetic measured, not guessed (`woofort fortnox calibrate`, and the opt-in preflight step).

Fortnox does not document how it rounds VAT (docs/fortnox-fidelity.md, every model GUESS): on each rate's row sum
or on each row, an exact half öre up or to the even öre, with or without öresavrundning (RoundOff). A probe
document tells them apart from the TotalVAT and RoundOff Fortnox answers:

- ten rows of 0.04 at 12 %: each row's VAT is 0.0048 (rounds to 0.00), their sum's 0.048 (rounds to 0.05), so the
  rate's VAT is 0.05 per rate sum and 0.00 per row;
- one row of 0.75 at 6 %: VAT 0.045, an exact half öre, 0.05 rounded up and 0.04 to the even öre;
- Net 1.15 plus 0.04..0.10 VAT is never whole kronor, so RoundOff is non-zero exactly when öresavrundning is on.

TotalVAT is thus 0.10 (per rate sum, up), 0.09 (per rate sum, even), 0.05 (per row, up) or 0.04 (per row, even);
anything else matches no model and nothing is stored. The probe is a Fortnox order (order rows take decimal VAT;
an order uses no invoice number), or, when the operator chooses it, an unbooked invoice (it uses an invoice
number); either is cancelled at once. The result goes to meta.fortnox_vat_model (migration 032) with when and
which company; the deltas build their VAT rounding rows for the latest (sql/deltas/_macros.sql wf_vat_model).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from woofort_assets.lib.duckdb import connect
from woofort_assets.resources.fortnox import FortnoxError
from woofort_assets.resources.fortnox.endpoints import CUSTOMERS, INVOICES, ORDERS, Endpoint

PROBE_CUSTOMER = "WOOFORT-PROBE"
PROBE_TEXT = "woofort kalibrering av momsberäkning (makuleras)"
PROBE_DOCUMENTS: dict[str, tuple[Endpoint, str, str]] = {
    "order": (ORDERS, "OrderRows", "OrderedQuantity"),
    "invoice": (INVOICES, "InvoiceRows", "DeliveredQuantity"),
}
PER_SUM_ROWS = 10                 # rows of 0.04 at 12 %
# TotalVAT of the probe -> (vat_rounding, half_rounding)
MODELS_BY_TOTAL_VAT = {Decimal("0.10"): ("per_rate_sum", "up"), Decimal("0.09"): ("per_rate_sum", "even"),
                       Decimal("0.05"): ("per_row", "up"), Decimal("0.04"): ("per_row", "even")}
DEFAULT_ACCOUNTS = {12: 3002, 6: 3003}   # BAS: Swedish sales at 12 % and 6 %
ASSUMED = ("per_rate_sum", "up")          # (vat_rounding, half_rounding) the deltas assume when never measured


class CalibrationError(Exception):
    """The probe could not be made, or Fortnox's answer fits no model; the message says which and why."""


@dataclass(frozen=True)
class VatModel:
    vat_rounding: str      # per_rate_sum | per_row
    half_rounding: str     # up | even
    round_off: bool        # öresavrundning on

    def describe(self) -> str:
        where = "each rate's row sum" if self.vat_rounding == "per_rate_sum" else "each row"
        half = "up" if self.half_rounding == "up" else "to the even öre"
        return (f"VAT on {where} ({self.vat_rounding}), a half öre {half} ({self.half_rounding}), "
                f"öresavrundning {'on' if self.round_off else 'off'}")


@dataclass(frozen=True)
class Measurement:
    model: VatModel
    document: str
    number: str
    total_vat: Decimal
    round_off_amount: Decimal
    organisation_number: str | None
    company_name: str | None
    database_number: str | None


def probe_accounts(mapping) -> dict[int, int]:
    """The mapping's Swedish sales accounts at 12 % and 6 % (the probe's rows), where it has them."""
    found: dict[int, int] = {}
    for region, _country, _kind, rate, account in mapping.account_rows() if mapping is not None else []:
        if region == "sweden" and rate in (12, 6):
            found.setdefault(int(rate), int(account))
    return found


def probe_rows(accounts: dict[int, int], quantity_field: str) -> list[dict]:
    """The probe's rows (see the module docstring), on the accounts of the Swedish 12 % and 6 % sales: price 1 and
    the amount as the quantity, a string in the [SPEC] (fortnox_Order_OrderRow, fortnox_Invoice_InvoiceRow), so
    that no decimal travels as a JSON float."""
    def row(rate: int, amount: str) -> dict:
        return {"Description": PROBE_TEXT, "AccountNumber": accounts[rate], "VAT": rate, "Price": 1,
                quantity_field: amount, "DeliveredQuantity": amount}
    return [row(12, "0.04")] * PER_SUM_ROWS + [row(6, "0.75")]


def model_of(document: dict) -> VatModel:
    """The model Fortnox's answer for a probe document fits; CalibrationError naming the figures otherwise."""
    total_vat = Decimal(str(document.get("TotalVAT"))).quantize(Decimal("0.01"))
    round_off = Decimal(str(document.get("RoundOff") or 0))
    if total_vat not in MODELS_BY_TOTAL_VAT:
        raise CalibrationError(f"Fortnox computed TotalVAT {total_vat} on the probe (net {document.get('Net')}): "
                               "that fits none of the known VAT models (0.10, 0.09, 0.05 or 0.04); nothing stored")
    vat_rounding, half_rounding = MODELS_BY_TOTAL_VAT[total_vat]
    return VatModel(vat_rounding, half_rounding, round_off != 0)


def _ensure_probe_customer(client) -> str:
    if CUSTOMERS.get_or_none(client, PROBE_CUSTOMER) is None:
        client.post(CUSTOMERS.path, {"Customer": {"CustomerNumber": PROBE_CUSTOMER, "Name": PROBE_TEXT,
                                                  "Currency": "SEK", "VATType": "SEVAT"}})
    return PROBE_CUSTOMER


def measure(client, document: str = "order", accounts: dict[int, int] | None = None) -> Measurement:
    """Posts the probe `document` (order | invoice), reads what Fortnox computed, cancels it, returns the model."""
    if document not in PROBE_DOCUMENTS:
        raise CalibrationError(f"probe document must be one of {', '.join(PROBE_DOCUMENTS)}, not {document!r}")
    endpoint, rows_key, quantity_field = PROBE_DOCUMENTS[document]
    company = client.get("/3/companyinformation").get("CompanyInformation") or {}
    body = {"CustomerNumber": _ensure_probe_customer(client), "Currency": "SEK", "VATIncluded": False,
            "Remarks": PROBE_TEXT, rows_key: probe_rows({**DEFAULT_ACCOUNTS, **(accounts or {})}, quantity_field)}
    if document == "invoice":
        body["NotCompleted"] = True   # GUESS: keeps the probe out of the invoice list's "to send" work
    created = endpoint.unwrap(client.post(endpoint.path, {endpoint.single: body}))
    number = endpoint.number_of(created)
    try:
        answered = endpoint.get(client, number)
    finally:
        try:
            client.put(endpoint.action_path(number, "cancel"))
        except FortnoxError as err:
            raise CalibrationError(f"the probe {document} {number} could not be cancelled ({err}): cancel it in "
                                   "Fortnox by hand") from err
    return Measurement(model_of(answered), document, number, Decimal(str(answered["TotalVAT"])),
                       Decimal(str(answered.get("RoundOff") or 0)), company.get("OrganizationNumber"),
                       company.get("CompanyName"), _text(company.get("DatabaseNumber")))


def _text(value) -> str | None:
    return None if value is None else str(value)


def store(con, shop: str, measurement: Measurement) -> None:
    """Records a measurement; the deltas and the reconciliation use the latest of the shop."""
    m = measurement
    con.execute("INSERT INTO meta.fortnox_vat_model (shop, organisation_number, company_name, database_number, "
                "probe_document, probe_number, vat_rounding, half_rounding, round_off, total_vat, round_off_amount) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [shop, m.organisation_number, m.company_name, m.database_number, m.document, m.number,
                 m.model.vat_rounding, m.model.half_rounding, m.model.round_off, m.total_vat, m.round_off_amount])


def stored_model(con, shop: str) -> VatModel | None:
    """The latest measured model of the shop, None when never measured (the deltas then assume per_rate_sum, up)."""
    row = con.execute("SELECT vat_rounding, half_rounding, round_off FROM meta.fortnox_vat_model WHERE shop = ? "
                      "ORDER BY measured_at DESC LIMIT 1", [shop]).fetchone()
    return VatModel(*row) if row else None


def preflight_step(client, database, shop: str, document: str, mapping) -> tuple[list[str], list[str], dict]:
    """The opt-in preflight step (FORTNOX_PREFLIGHT_CALIBRATE): measure and store; a model other than the one the
    pending invoices were built for is a problem (blocking: the next run's deltas are built for the stored model),
    öresavrundning on a warning. (problems, warnings, checked)."""
    with connect(database) as con:
        before = stored_model(con, shop)
    built_for = (before.vat_rounding, before.half_rounding) if before else ASSUMED
    try:
        measurement = measure(client, document, probe_accounts(mapping))
    except (CalibrationError, FortnoxError) as err:
        return [f"VAT calibration with a probe {document} failed: {err}"], [], {}
    with connect(database) as con:
        store(con, shop, measurement)
    model = measurement.model
    problems, warnings = [], []
    if (model.vat_rounding, model.half_rounding) != built_for:
        problems.append(f"Fortnox computes {model.describe()}, but the pending invoices were built for "
                        f"{built_for[0]}, half {built_for[1]}: the measured model is stored and the next run builds "
                        "the invoices for it")
    if model.round_off:
        warnings.append("öresavrundning is on in Fortnox; woofort writes its own round-off row: turn it off "
                        "(Inställningar > Fakturering)")
    return problems, warnings, {"vat_model": model.describe(), "probe": f"{document} {measurement.number}"}
