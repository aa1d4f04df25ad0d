"""Fortnox's own invoice arithmetic, as a pure Decimal model (no HTTP, no floats).

Part of the Fortnox sandbox (woofort_sandboxes.fortnox); also used by property tests.
Every rule names its source; GUESS marks an inference. No recorded Fortnox invoice has
non-zero totals (shared/reference/fortnox_api.md §5.4), so most totals rules are GUESS.

Rules
-----
R1  Rounding: decimals are rounded half-up to 2 places (row Price 1.125 -> 1.13,
    DeliveredQuantity 1.125 -> 1.13) [VCR invoices/row_*; article QuantityInStock 1.123 -> 1.12].
R2  Row line amount = DeliveredQuantity x Price (GUESS, standard invoice arithmetic).
R3  Discount PERCENT: line x (1 - Discount/100); AMOUNT: line - Discount, per row (GUESS:
    per row, not per unit). Default DiscountType PERCENT [VCR row response].
R4  VATIncluded=false: Price is net; PriceExcludingVAT = Price [VCR save_with_nested_model:
    Price 10 -> PriceExcludingVAT 10]; row Total = TotalExcludingVAT = discounted line [VCR: qty 0
    -> Total 0]. VATIncluded=true: Price is gross, PriceExcludingVAT = Price / (1+VAT/100),
    row Total is the gross line, TotalExcludingVAT = Total / (1+VAT/100) (GUESS).
R5  VAT per rate (tenant setting `vat_rounding`, GUESS either way; `woofort fortnox calibrate` measures it):
    "per_rate_sum" (default): on the per-rate sum of rows, net mode VAT_r = roundv(sum_net_r x r/100), gross mode
    VAT_r = sum_gross_r - roundv(sum_gross_r/(1+r/100)); "per_row": the same on each row, then summed per rate.
    roundv rounds to öre; an exact half öre goes up (tenant setting `half_rounding` "up", default) or to the even
    öre ("even", banker's rounding) (GUESS either way). Rows, prices and quantities always round by R1.
R6  Net = sum of row TotalExcludingVAT (GUESS; in gross mode Net = sum_gross - sum VAT).
R7  Freight and AdministrationFee are net amounts; FreightVAT / AdministrationFeeVAT use
    `fee_vat_rate` (default 25, GUESS: the Swedish rule makes them follow the main supply).
R8  Gross = Net + Freight + AdministrationFee (GUESS).
R9  TotalVAT = sum VAT_r + FreightVAT + AdministrationFeeVAT (GUESS).
R10 RoundOff (öresavrundning): a tenant setting; default ON for SEK (GUESS; the predefined
    account ROUNDOFF=3740 exists for it). Rounds Gross+TotalVAT half-up to whole kronor;
    RoundOff = rounded - unrounded. Off for other currencies or when disabled.
R11 Total = Gross + TotalVAT + RoundOff; TotalToPay = Total - TaxReduction (0 here) (GUESS).
R12 Balance = Total - sum(payments); FinalPayDate = last payment date when Balance == 0 (GUESS;
    [WFH] treats FinalPayDate as "paid"). Credit offsets (tenant setting credit_settlement, GUESS) count as
    payments dated the credit's InvoiceDate (resources/invoices.py::settle_credit).
R13 Credit invoice: copy of the original with DeliveredQuantity negated, Credit "true",
    CreditInvoiceReference set both ways (GUESS for the negated quantities; [SPEC] PUT /credit).
R14 OCR = DocumentNumber + length digit ((len(DocumentNumber)+2) mod 10) + Luhn check digit
    (INFERRED from [VCR] 18->1842, 32->3244, 1->133, 37->3749).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

CENT = Decimal("0.01")
ONE = Decimal("1")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def D(value) -> Decimal:
    """Convert int/str/Decimal/float (via str) to Decimal; None/'' -> 0."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip().replace(",", "."))


def round2(value) -> Decimal:
    """R1: half-up to 2 decimals."""
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_vat(value, half_rounding: str = "up") -> Decimal:
    """R5: a VAT amount to öre, an exact half öre up (away from zero) or to the even öre."""
    return D(value).quantize(CENT, rounding=ROUND_HALF_EVEN if half_rounding == "even" else ROUND_HALF_UP)


def vat_of(amount, rate, vat_included: bool, half_rounding: str = "up") -> Decimal:
    """R5: the VAT of one amount (a row, or a per-rate sum) at `rate` percent."""
    amount, rate = D(amount), D(rate)
    if vat_included:
        return amount - round_vat(amount / (ONE + rate / HUNDRED), half_rounding)
    return round_vat(amount * rate / HUNDRED, half_rounding)


def round0(value) -> Decimal:
    return D(value).quantize(ONE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RowResult:
    delivered_quantity: Decimal
    price: Decimal
    price_excluding_vat: Decimal
    total: Decimal
    total_excluding_vat: Decimal
    vat: Decimal


def row_amounts(delivered_quantity, price, discount=0, discount_type="PERCENT", vat=0,
                vat_included=False) -> RowResult:
    """R2-R4: one invoice row."""
    qty = round2(delivered_quantity)
    pr = round2(price)
    rate = D(vat)
    line = qty * pr
    disc = D(discount)
    if (discount_type or "PERCENT").upper() == "AMOUNT":
        line = line - disc
    else:
        line = line * (ONE - disc / HUNDRED)
    total = round2(line)
    if vat_included:
        divisor = ONE + rate / HUNDRED
        excl = round2(line / divisor)
        price_excl = round2(pr / divisor)
    else:
        excl = total
        price_excl = pr
    return RowResult(qty, pr, price_excl, total, excl, rate)


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    gross: Decimal
    freight: Decimal
    freight_vat: Decimal
    administration_fee: Decimal
    administration_fee_vat: Decimal
    vat_by_rate: dict = field(default_factory=dict)
    total_vat: Decimal = ZERO
    round_off: Decimal = ZERO
    total: Decimal = ZERO
    total_to_pay: Decimal = ZERO


def invoice_totals(rows: Sequence[RowResult], freight=0, administration_fee=0, vat_included=False,
                   currency="SEK", round_off_enabled=True, fee_vat_rate=25,
                   tax_reduction=0, vat_rounding="per_rate_sum", half_rounding="up") -> InvoiceTotals:
    """R5-R11: document totals from computed rows (`vat_rounding`, `half_rounding`: the tenant's model, R5)."""
    by_rate: dict[Decimal, Decimal] = {}
    vat_by_rate: dict[Decimal, Decimal] = {}
    for r in rows:
        amount = r.total if vat_included else r.total_excluding_vat
        by_rate[r.vat] = by_rate.get(r.vat, ZERO) + amount
        if vat_rounding == "per_row":
            vat_by_rate[r.vat] = vat_by_rate.get(r.vat, ZERO) + vat_of(amount, r.vat, vat_included, half_rounding)
    net = ZERO
    for rate, amount in by_rate.items():
        if vat_rounding != "per_row":
            vat_by_rate[rate] = vat_of(amount, rate, vat_included, half_rounding)
        net += round2(amount - vat_by_rate[rate]) if vat_included else round2(amount)
    fr = round2(freight)
    adm = round2(administration_fee)
    fee_rate = D(fee_vat_rate) / HUNDRED
    fr_vat = round2(fr * fee_rate)
    adm_vat = round2(adm * fee_rate)
    gross = net + fr + adm
    total_vat = sum(vat_by_rate.values(), ZERO) + fr_vat + adm_vat
    unrounded = gross + total_vat
    round_off = ZERO
    if round_off_enabled and (currency or "SEK").upper() == "SEK":
        round_off = round0(unrounded) - unrounded
    total = unrounded + round_off
    return InvoiceTotals(net=net, gross=gross, freight=fr, freight_vat=fr_vat,
                         administration_fee=adm, administration_fee_vat=adm_vat,
                         vat_by_rate=vat_by_rate, total_vat=total_vat, round_off=round_off,
                         total=total, total_to_pay=total - round2(tax_reduction))


def balance(total, payments: Iterable) -> Decimal:
    """R12: remaining balance after payments (amounts in document currency)."""
    return round2(D(total) - sum((D(p) for p in payments), ZERO))


def credit_quantity(quantity) -> Decimal:
    """R13: credit rows carry the negated delivered quantity."""
    return -round2(quantity)


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def ocr_for(document_number) -> str:
    """R14: OCR reference for an invoice number."""
    base = str(document_number) + str((len(str(document_number)) + 2) % 10)
    return base + luhn_digit(base)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) >= 2 and luhn_digit(number[:-1]) == number[-1]
