"""The oracle judges, so it is judged too: books made wrong behind woofort's back (in the Fortnox sandbox's state or
the shop) must be reported, each by the invariant it breaks, naming the order and its figures."""

from __future__ import annotations

import copy

from tests.living_shop.oracle import fortnox_docs


def _kinds(problems):
    return {p.split("]")[0] + "]" for p in problems}


def test_the_oracle_sees_wrong_books(living_shop):
    shop = living_shop(orders=6, days=1)
    assert shop.sync("2026-10-01", "2026-10-20", label="clean") == []
    booked = shop.booked()
    assert len(booked) >= 2, "setup: two booked orders"
    first, second = str(booked[0]), str(booked[1])
    st = shop.fortnox.state
    with st.lock:
        inv = next(d for d in st.docs["invoices"].values() if d["ExternalInvoiceReference1"] == first)
        inv["Total"] = float(inv["Total"]) + 1            # 1 revenue (and 2: its balance follows)
        inv["Balance"] = float(inv["Balance"]) + 1
        dup = copy.deepcopy(next(d for d in st.docs["invoices"].values()
                                 if d["ExternalInvoiceReference1"] == second))
        dup["DocumentNumber"] = "9999"                    # 4 duplicate (and 1 and 2: twice the revenue)
        st.docs["invoices"]["9999"] = dup
    problems = shop.books.problems()
    print("\n".join(problems))
    assert {"[1 revenue]", "[2 balance]", "[4 duplicate]"} <= _kinds(problems)
    assert any(f"order {first} " in p and p.startswith("[1 revenue]") for p in problems)
    assert any(f"order {second} has 2 live invoices" in p for p in problems)

    # 3: a document for an order whose money did not change since the last sync
    shop.books.synced()
    with st.lock:
        again = copy.deepcopy(st.docs["invoices"]["9999"])
        again["DocumentNumber"] = "9998"
        st.docs["invoices"]["9998"] = again
    problems = shop.books.problems()
    assert any(p.startswith(f"[3 needless correction] order {second}") for p in problems), problems
    # ... but not when the shop changed the order's money
    shop.refund(int(second), "2026-10-21", amount="1.00")
    assert not any(p.startswith("[3") for p in shop.books.problems())
    assert "9998" in {d.number for d in fortnox_docs(shop.fortnox)[second]}

    # 5: an open dead letter is named with its message
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.settings import duckdb_path
    with connect(duckdb_path()) as con:
        con.execute("INSERT INTO ledger.dead_letter (shop, entity, source_key, error_message) VALUES "
                    "('default', 'customer', 'WCG0', 'Värdet innehåller ej tillåtna tecken. (Åsa 😀)')")
    problems = shop.books.problems()
    assert "[5 dead letter] customer WCG0: Värdet innehåller ej tillåtna tecken. (Åsa 😀)" in problems, problems
