"""The mapping file loads, and every kind of mistake is reported with its file and line."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from woofort_assets.lib.mapping import MappingError, load_mapping, parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

PATH = CHECKOUT_DIR / "mapping" / "mapping.yaml"
TEXT = PATH.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def error_for(old: str, new: str) -> tuple[str, int]:
    assert old in TEXT, old
    text = TEXT.replace(old, new, 1)
    with pytest.raises(MappingError) as exc:
        parse_mapping(text, "mapping.yaml")
    return str(exc.value), line_of(text, new.splitlines()[0].strip() if new.strip() else old)


def test_shipped_mapping_loads_with_bas_defaults():
    m = load_mapping(PATH)
    assert m.accounts.sweden.sales == {Decimal(25): 3001, Decimal(12): 3002, Decimal(6): 3003, Decimal(0): 3004}
    assert (m.accounts.sweden.freight, m.accounts.sweden.fee, m.accounts.round_off) == (3520, 3540, 3740)
    assert (m.accounts.eu_business.sales, m.accounts.eu_consumer.sales, m.accounts.export.sales) == (3108, 3106, 3105)
    assert m.invoicing.trigger_statuses == ["processing", "completed"] and m.invoicing.invoice_date == "created"
    assert m.invoicing.bookkeep is True and m.invoicing.price_list == "A"
    assert m.payments.methods["bacs"].mode_of_payment == "BG" and m.payments.methods["bacs"].account == 1930
    assert (m.payments.methods["bacs"].terms_of_payment, m.payments.methods["swish"].terms_of_payment) == ("30", "0")
    assert not any(p.email_invoice for p in m.payments.methods.values())     # e-mailing is off by default
    fi = {(r.rate, r.valid_from, r.valid_to) for r in m.accounts.eu_consumer.countries["FI"].rates}
    assert {(Decimal("25.5"), date(2024, 9, 1), None), (Decimal(24), None, date(2024, 8, 31))} <= fi
    assert m.accounts.sweden.discount is None


@pytest.mark.parametrize("old,new,expect", [
    ("25: 3001", "25: 30011", r"accounts\.sweden\.sales.*30011 must be a 4-digit"),
    ("bookkeep: true", "bookeep: true", r"invoicing\.bookeep: unknown setting"),
    ("cod: {mode_of_payment: KONT, account: 1910,", "cod: {mode_of_payment: KONT, account: 3910,",
     r"payments\.methods\.cod\.account: account 3910 must be a 4-digit BAS asset account"),
    ("bacs: {mode_of_payment: BG, account: 1930, terms_of_payment: '30'}",
     "bacs: {mode_of_payment: BG, account: 1930, terms_of_payment: '30 dagar'}",
     r"payments\.methods\.bacs\.terms_of_payment: .*'30 dagar': a Fortnox TermsOfPayment code"),
    ("bacs: {mode_of_payment: BG, account: 1930, terms_of_payment: '30'}",
     "bacs: {mode_of_payment: BG, account: 1930, due_days: -1}", r"payments\.methods\.bacs\.due_days: .*0 to 365"),
    ("bacs: {mode_of_payment: BG, account: 1930, terms_of_payment: '30'}",
     "bacs: {mode_of_payment: BG, account: 1930, email_invoice: sometimes}",
     r"payments\.methods\.bacs\.email_invoice: Input should be a valid boolean"),
    ("DE: {rates: [19, 7]}", "DX: {rates: [19, 7]}", r"'DX' is not an EU member state"),
    ("invoice_date: created", "invoice_date: shipped", r"invoicing\.invoice_date: Input should be"),
    ("trigger_statuses: [processing, completed]", "trigger_statuses: [processing, wc-completed]",
     r"without 'wc-'"),
    ("trigger_statuses: [processing, completed]", "trigger_statuses: [processing, cancelled]",
     r"cannot trigger an invoice"),
    ("round_off: 3740", "round_off: 1930", r"accounts\.round_off: account 1930"),
    ("guest_email_prefix: WCG", "guest_email_prefix: WC", r"must differ"),
    ("{rate: 24, to: 2024-08-31}", "{rate: 24, from: 2024-09-01, to: 2024-08-31}",
     r"countries\.FI\.rates\.1: rate 24: from 2024-09-01 is after to 2024-08-31"),
    ("{rate: 24, to: 2024-08-31}", "{rate: 25.5, to: 2024-09-30}",
     r"countries\.FI\.rates: rate 25\.5 is listed twice for overlapping dates"),
    ("{rate: 24, to: 2024-08-31}", "{rate: 24, until: 2024-08-31}", r"FI\.rates\.1\.until: unknown setting"),
    ("{rate: 24, to: 2024-08-31}", "{rate: 24, to: 31.08.2024}", r"FI\.rates\.1\.to: "),
    ("    # discount: 3730", "    discount: 1930", r"accounts\.sweden\.discount: account 1930"),
])
def test_errors_name_the_line(old, new, expect):
    message, line = error_for(old, new)
    assert re.search(expect, message), message
    assert f"mapping.yaml:{line}:" in message, (line, message)


def test_completed_date_needs_completed_trigger():
    message, line = error_for("invoice_date: created", "invoice_date: completed")
    assert "invoice_date: completed needs trigger_statuses: [completed]" in message
    assert re.search(r"mapping\.yaml:\d+: invoicing", message)


def test_duplicate_keys_and_bad_yaml():
    text = TEXT.replace("  bookkeep: true\n", "  bookkeep: true\n  bookkeep: false\n", 1)
    with pytest.raises(MappingError, match=rf"mapping.yaml:{line_of(text, 'bookkeep: false')}: invoicing.bookkeep: duplicate key"):
        parse_mapping(text, "mapping.yaml")
    with pytest.raises(MappingError, match=r"mapping.yaml:\d+: not valid YAML"):
        parse_mapping("accounts: [1, 2\nversion: 1\n", "mapping.yaml")
    with pytest.raises(MappingError, match=r"cannot read"):
        load_mapping(PATH.parent / "missing.yaml")


def test_several_errors_reported_together():
    text = TEXT.replace("25: 3001", "25: 99").replace("freight: 3520", "freight: 2520")
    with pytest.raises(MappingError) as exc:
        parse_mapping(text, "mapping.yaml")
    assert str(exc.value).count("mapping.yaml:") == 2
