"""Issue #13: books that stay right while the shop changes, as a Hypothesis state machine over the real sandboxes.

Each step is a day in the shop's life (new orders, edits before and after booking, partial and full refunds through
the gateway or by hand, cancellations after refunds, SKU and product renames, names with HTML entities and emoji,
customer address and VAT-number changes, a mapping account edit) followed by woofort's sync of the days since the
last sync; after every sync the oracle (tests/living_shop/oracle.py) must find the books right. Parametrized over
the Fortnox tenant's credit settlement ("clears": a credit invoice offsets the invoice it credits; "open": both stay
open until payments settle them).

`make test` runs one derandomized 30-day example per mode (about 2 minutes each); the slow variant explores four
random 30-day lives per mode (about 8 minutes each) and runs when asked:
    WOOFORT_LIVING_SHOP_LONG=1 .venv/bin/pytest tests/living_shop -m slow
"""

from __future__ import annotations

import itertools
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from woofort_sandboxes.woocommerce.catalog import vat_number

from tests.living_shop.oracle import money
from tests.living_shop.shop import NASTY_NAMES, next_day


def buyer_vat_number(country: str, oid: int) -> str:
    """A valid VAT number where the sandbox can make one, else what a buyer outside the EU might type."""
    return vat_number(country, 123456789 + oid) if country in ("SE", "DE", "FI", "DK") else f"{country}{oid}"

FIRST_DAY = "2026-11-02"      # the seeded store's own history (October) is synced first, then the shop lives on
CREDIT_SETTLEMENTS = ["clears", "open"]


def machine_for(living_shop, tmp_path, monkeypatch, credit_settlement: str):
    examples = itertools.count(1)

    class LivingShopMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.shop = None
            self.day = FIRST_DAY
            self.last_synced = None
            self.mapping_moved = False
            self.renames = itertools.count(1)

        # ------------------------------------------------------------------------------------------ set-up
        @initialize(seed=st.integers(min_value=1, max_value=40))
        def open_the_shop(self, seed):
            n = next(examples)
            self.shop = living_shop(orders=4, days=1, seed=seed, credit_settlement=credit_settlement)
            monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / f"data-{n}"))   # each example its own woofort
            self.shop.log.append(f"example {n}: seed {seed}, credit_settlement {credit_settlement}")
            self._sync("2026-10-01", "2026-10-31", "October (the seeded history)")
            self.last_synced = "2026-10-31"

        def teardown(self):
            if self.shop is not None:
                self.shop.woo.stop()
                self.shop.fortnox.stop()

        # --------------------------------------------------------------------------------------- the clock
        def _sync(self, first, last, label):
            problems = self.shop.sync(first, last, label=label)
            assert not problems, (f"after {label} (credit_settlement {credit_settlement}) the books are not right:\n"
                                  + "\n".join(problems) + "\nshop log:\n" + "\n".join(self.shop.log))

        def _end_of_day(self, sync: bool = True):
            if sync:
                first = next_day(self.last_synced)
                self._sync(first, self.day, f"{self.day}: " + self.shop.log[-1])
                self.last_synced = self.day
            self.day = next_day(self.day)

        # ------------------------------------------------------------------------------------ candidates
        def _orders(self, pred) -> list[int]:
            out = []
            for oid in [int(i) for i, gone in zip(self.shop.store.ids, self.shop.store.deleted) if not gone]:
                o = self.shop.order(oid)
                if o["date_created"][:10] >= "2026-10-01" and pred(o):
                    out.append(oid)
            return out

        def booked(self) -> list[int]:
            return self.shop.booked()

        def refundable(self) -> list[int]:
            booked = set(self.booked())
            return self._orders(lambda o: o["id"] in booked and o["status"] in ("processing", "completed")
                                and o["date_paid"] and self._left(o) > Decimal("1.00"))

        def _left(self, o) -> Decimal:
            return money(o["total"]) - sum((money(r["amount"]) for r in self.shop.store.order_refunds(o["id"])),
                                           Decimal(0))

        def editable_booked(self) -> list[int]:
            booked = set(self.booked())
            return self._orders(lambda o: o["id"] in booked and o["status"] in ("processing", "completed")
                                and not o["refunds"])

        # ------------------------------------------------------------------------------------------- rules
        @rule()
        def a_busy_day(self):
            """The shop's usual life, scripted: each call does the next change of the tour (a rule without
            arguments is what Hypothesis tries first, so even its simplest example walks through everything)."""
            k = self.tour = getattr(self, "tour", -1) + 1
            step = ["new", "edit_booked", "refund", "manual_refund", "rename", "customer", "cancel", "new_nasty",
                    "full_refund", "mapping", "edit_new"][k % 11]
            booked, refundable = self.editable_booked(), self.refundable()
            if step == "edit_booked" and booked:
                self.shop.edit_line(booked[0], self.day, quantity_delta=1)
            elif step in ("refund", "manual_refund") and refundable:
                amount = (money(self.shop.order(refundable[0])["total"]) / 4).quantize(Decimal("0.01"))
                self.shop.refund(refundable[0], self.day, amount=amount, manual=step == "manual_refund")
            elif step == "full_refund" and refundable:
                self.shop.refund(refundable[-1], self.day, manual=True)
            elif step == "rename" and self.booked():
                pid = self.shop.sold_products(self.booked())[0]
                self.shop.rename(pid, self.day, sku=f"SB-{pid}-T{k}", name=NASTY_NAMES[k % len(NASTY_NAMES)])
            elif step == "customer" and self.booked():
                oid = self.booked()[0]
                country = self.shop.order(oid)["billing"]["country"]
                self.shop.change_billing(oid, self.day, address_1="Nya gatan 1 &amp; 3", city="Örebro",
                                         vat_number=buyer_vat_number(country, oid))
            elif step == "cancel" and self._cancellable():
                self.shop.set_status(self._cancellable()[0], self.day, "cancelled")
            elif step == "mapping" and self.booked():
                self._move_mapping()
            elif step == "edit_new":
                oid = self.shop.new_order(self.day, status="on-hold")
                self.shop.edit_line(oid, self.day, quantity_delta=2)
                self.shop.set_status(oid, self.day, "processing", clock="15:00:00")
            else:
                for _ in range(2):
                    oid = self.shop.new_order(self.day, status="processing")
                    if step == "new_nasty":
                        self.shop.change_billing(oid, self.day, first_name="Åsa 😀", last_name="O&#8217;Brien",
                                                 company="Kaffe &amp; Kaka &#8211; Café ☕")
            self._end_of_day()

        @rule(n=st.integers(1, 2), status=st.sampled_from(["processing", "completed", "pending", "on-hold"]),
              nasty=st.booleans(), sync=st.booleans())
        def new_orders(self, n, status, nasty, sync):
            for _ in range(n):
                oid = self.shop.new_order(self.day, status=status)
                if nasty:   # the customer's name and company as WordPress stores them, with emoji
                    self.shop.change_billing(oid, self.day, first_name="Åsa 😀", last_name="O&#8217;Brien",
                                             company="Kaffe &amp; Kaka &#8211; Café ☕")
            self._end_of_day(sync)

        @rule(data=st.data(), delta=st.integers(-1, 2), reprice=st.booleans())
        def edit_before_booking(self, data, delta, reprice):
            """A new order is edited in the shop the day it is placed, before woofort sees it, then paid."""
            oid = self.shop.new_order(self.day, status="on-hold")
            price = data.draw(st.sampled_from(["99.00", "149.50", "1234.56"])) if reprice else None
            self.shop.edit_line(oid, self.day, quantity_delta=delta, price=price)
            self.shop.set_status(oid, self.day, "processing", clock="15:00:00")
            self._end_of_day()

        @precondition(lambda self: self.shop is not None and self.editable_booked())
        @rule(data=st.data(), delta=st.sampled_from([-1, 1, 2]), reprice=st.booleans())
        def edit_after_booking(self, data, delta, reprice):
            oid = data.draw(st.sampled_from(self.editable_booked()), label="edited order")
            price = data.draw(st.sampled_from(["79.90", "250.00", "1999.00"])) if reprice else None
            self.shop.edit_line(oid, self.day, quantity_delta=delta, price=price)
            self._end_of_day()

        @precondition(lambda self: self.shop is not None and self.refundable())
        @rule(data=st.data(), share=st.sampled_from(["0.10", "0.25", "0.5"]), manual=st.booleans())
        def partial_refund(self, data, share, manual):
            oid = data.draw(st.sampled_from(self.refundable()), label="refunded order")
            amount = (money(self.shop.order(oid)["total"]) * Decimal(share)).quantize(Decimal("0.01"))
            self.shop.refund(oid, self.day, amount=amount, manual=manual)
            self._end_of_day()

        @precondition(lambda self: self.shop is not None and self.refundable())
        @rule(data=st.data(), manual=st.booleans())
        def full_refund(self, data, manual):
            oid = data.draw(st.sampled_from(self.refundable()), label="fully refunded order")
            self.shop.refund(oid, self.day, manual=manual)
            self._end_of_day()

        @precondition(lambda self: self.shop is not None and self._cancellable())
        @rule(data=st.data())
        def cancel_after_refunds(self, data):
            oid = data.draw(st.sampled_from(self._cancellable()), label="cancelled order")
            self.shop.set_status(oid, self.day, "cancelled")
            self._end_of_day()

        def _cancellable(self):
            booked = set(self.booked())
            return self._orders(lambda o: o["id"] in booked and o["status"] in ("processing", "completed")
                                and o["refunds"])

        @precondition(lambda self: self.shop is not None and self.booked())
        @rule(data=st.data(), what=st.sampled_from(["sku", "name", "description"]))
        def rename_product(self, data, what):
            sold = self.shop.sold_products(self.booked())
            pid = data.draw(st.sampled_from(sold[:5]), label="renamed product")
            k = next(self.renames)
            if what == "sku":
                self.shop.rename(pid, self.day, sku=f"SB-{pid}-R{k}")
            elif what == "name":
                self.shop.rename(pid, self.day, name=NASTY_NAMES[k % len(NASTY_NAMES)])
            else:
                self.shop.rename(pid, self.day, description=f"<p>Ny text {k} &amp; mer 🙂</p>")
            self._end_of_day()

        @precondition(lambda self: self.shop is not None and self.booked())
        @rule(data=st.data(), vat=st.booleans())
        def change_customer(self, data, vat):
            oid = data.draw(st.sampled_from(self.booked()), label="order with a new address")
            if vat:
                country = self.shop.order(oid)["billing"]["country"]
                self.shop.change_billing(oid, self.day, vat_number=buyer_vat_number(country, oid))
            else:
                self.shop.change_billing(oid, self.day, address_1="Nya gatan 1 &amp; 3", city="Örebro",
                                         postcode="702 11", email=f"ny{oid}@example.se")
            self._end_of_day()

        @precondition(lambda self: self.shop is not None and self.booked())
        @rule(new_order_too=st.booleans())
        def mapping_account_edit(self, new_order_too):
            self._move_mapping()
            if new_order_too:
                self.shop.new_order(self.day, status="completed")
            self._end_of_day()

        def _move_mapping(self):
            old, new = (3011, 3001) if self.mapping_moved else (3001, 3011)
            self.shop.edit_mapping_account(old, new)
            self.mapping_moved = not self.mapping_moved

    return LivingShopMachine


SETTINGS = dict(deadline=None, database=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=list(HealthCheck))


DAYS = 30


@pytest.mark.parametrize("credit_settlement", CREDIT_SETTLEMENTS)
def test_books_stay_right_while_the_shop_changes(living_shop, tmp_path, monkeypatch, credit_settlement):
    run_state_machine_as_test(machine_for(living_shop, tmp_path, monkeypatch, credit_settlement),
                              settings=settings(max_examples=1, stateful_step_count=DAYS, derandomize=True,
                                                **SETTINGS))


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not os.environ.get("WOOFORT_LIVING_SHOP_LONG"), reason="long run: WOOFORT_LIVING_SHOP_LONG=1")
@pytest.mark.parametrize("credit_settlement", CREDIT_SETTLEMENTS)
def test_books_stay_right_while_the_shop_changes_long(living_shop, tmp_path, monkeypatch, credit_settlement):
    run_state_machine_as_test(machine_for(living_shop, tmp_path, monkeypatch, credit_settlement),
                              settings=settings(max_examples=4, stateful_step_count=DAYS, **SETTINGS))
