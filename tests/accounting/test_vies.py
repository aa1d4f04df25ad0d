"""With WOOFORT_VIES=on a buyer's VAT number must also be registered in VIES before a sale is booked untaxed on it
(resources/vies.py, lib/buyers.py), against the VIES sandbox over HTTP: a confirmed number gives reverse charge,
one VIES does not know or cannot check sends the order to the list, every answer is kept as evidence and a definite
one is not asked again at the next build."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import SHOP, START, default_mapping, rows
from tests.accounting.test_cross_border import DE_NUMBER, booked_rows, exclusion, order
from woofort_assets.defs.deltas.build import build_deltas
from woofort_assets.resources.vies import ViesResource
from woofort_sandboxes.vies import ViesSandbox

FI_NUMBER = "FI20774740"


@pytest.fixture
def vies():
    sandbox = ViesSandbox(registered={DE_NUMBER: "---", FI_NUMBER: "Oy Esimerkki Ab"}).start()
    yield sandbox
    sandbox.stop()


def _build(con, sandbox: ViesSandbox, enabled: bool = True) -> None:
    build_deltas(con, ["invoice_delta"], default_mapping(), SHOP, START,
                 ViesResource(enabled=enabled, url=sandbox.url, timeout_seconds=5))


def _untaxed_de_company(con, order_id: int, number: str) -> None:
    f.insert_order(con, order(order_id, "DE", D(0), tax_class="", vat_number=number, company="Firma GmbH"))


def test_a_number_vies_confirms_is_reverse_charge_and_asked_once(con, vies):
    _untaxed_de_company(con, 1001, "DE 136 695 976")
    _build(con, vies)
    _build(con, vies)
    assert booked_rows(con, 1001) == [(3108, 0, D("100.00")), (3521, 0, D("49.00"))]
    assert vies.requests == {DE_NUMBER: 1}
    ((valid, detail),) = con.execute("SELECT valid, detail FROM ledger.vies_checks WHERE number = ?",
                                     [DE_NUMBER]).fetchall()
    assert (valid, detail) == (True, None)


def test_a_well_formed_number_vies_does_not_know_is_listed_not_booked(con, vies):
    vies.registered.pop(DE_NUMBER)
    _untaxed_de_company(con, 1001, DE_NUMBER)
    _build(con, vies)
    excluded = exclusion(con, 1001)
    assert excluded["reason"] == "eu_untaxed_without_vat_number"
    assert f"VIES does not know {DE_NUMBER}" in excluded["detail"]
    assert rows(con, "invoice_delta") == []


@pytest.mark.parametrize("status", [500, 200])   # GUESS: the HTTP status of VIES's error answer
def test_a_member_state_vies_cannot_reach_keeps_the_order_waiting_and_is_asked_again(con, vies, status):
    vies.unavailable.add("DE")
    vies.unavailable_status = status
    _untaxed_de_company(con, 1001, DE_NUMBER)
    _build(con, vies)
    excluded = exclusion(con, 1001)
    assert "VIES could not confirm" in excluded["detail"] and "MS_UNAVAILABLE" in excluded["detail"]
    vies.unavailable.clear()   # the register is back: the next build asks again and books
    _build(con, vies)
    assert booked_rows(con, 1001) == [(3108, 0, D("100.00")), (3521, 0, D("49.00"))]
    assert vies.requests == {DE_NUMBER: 2}


def test_no_answer_at_all_is_unconfirmed_not_valid(con, vies):
    _untaxed_de_company(con, 1001, DE_NUMBER)
    vies.stop()
    _build(con, vies)
    assert "no answer from VIES" in exclusion(con, 1001)["detail"]


def test_off_the_offline_check_alone_decides_and_vies_is_never_asked(con, vies):
    vies.registered.clear()
    _untaxed_de_company(con, 1001, DE_NUMBER)
    _build(con, vies, enabled=False)
    assert booked_rows(con, 1001) == [(3108, 0, D("100.00")), (3521, 0, D("49.00"))]
    assert not vies.requests
