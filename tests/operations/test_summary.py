"""The closing summary of `woofort sync` (cli/summary.py) and its progress display (cli/progress.py), end to end
against the sandboxes: what the summary says was booked is what the Fortnox sandbox holds (read back from the
sandbox's own state, not through woofort), the exclusion reasons come with counts, an unmapped payment method is
named with its mapping lines (and the preflight warns about it), `--json` carries the same figures, and the
progress prints plain lines in a pipe and a live display on a terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import dagster as dg
import pytest

from tests.test_extraction import all_orders
from woofort_assets.cli import main
from woofort_assets.cli.summary import collect

FIRST, LAST = "2026-10-01", "2026-10-10"
METHOD = "faktura_x"


def _inject_unmapped_method(woo_sandbox) -> int:
    """A paid, processing order of 2026-10-03 whose payment method the mapping does not know."""
    order = next(o for o in all_orders(woo_sandbox) if o["date_created"].startswith("2026-10-03")
                 and o["status"] in ("processing", "completed") and o.get("date_paid"))
    injected = {**order, "id": 990101, "number": "990101", "payment_method": METHOD,
                "payment_method_title": "Faktura X", "status": "processing"}
    woo_sandbox.store.inject("orders", [injected])
    return injected["id"]


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _fortnox_books(fortnox_sandbox) -> dict[str, dict[str, dict]]:
    """Per day: invoices, credit notes, payments (count, SEK), from the Fortnox sandbox's own documents."""
    books: dict[str, dict[str, dict]] = defaultdict(lambda: {k: {"count": 0, "amount_sek": Decimal(0)}
                                                             for k in ("invoices", "credit_notes", "payments")})
    docs = fortnox_sandbox.state.docs
    for invoice in docs["invoices"].values():
        if str(invoice.get("Cancelled")).lower() == "true":
            continue
        kind = "credit_notes" if str(invoice.get("Credit")).lower() == "true" else "invoices"
        rate = Decimal(str(invoice.get("CurrencyRate") or 1)) / Decimal(str(invoice.get("CurrencyUnit") or 1))
        entry = books[str(invoice["InvoiceDate"])[:10]][kind]
        entry["count"] += 1
        entry["amount_sek"] += _cents(Decimal(str(invoice["Total"])) * rate)
    for payment in docs["invoicepayments"].values():
        entry = books[str(payment["PaymentDate"])[:10]]["payments"]
        entry["count"] += 1
        entry["amount_sek"] += _cents(payment["Amount"])
    return {day: {k: {"count": v["count"], "amount_sek": str(_cents(v["amount_sek"]))} for k, v in kinds.items()}
            for day, kinds in books.items()}


def _summary_books(summary: dict) -> dict[str, dict[str, dict]]:
    return {day["day"]: {k: day[k] for k in ("invoices", "credit_notes", "payments")}
            for day in summary["booked"]["days"]}


def _preflight_warnings() -> list[str]:
    instance = dg.DagsterInstance.get()
    event = instance.get_latest_materialization_event(dg.AssetKey(["fortnox", "preflight"]))
    assert event is not None
    return str(event.asset_materialization.metadata["warnings"].value).splitlines()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An instance of the test's own, so the preflight's materialization can be read back."""
    path = tmp_path / "dagster_home"
    path.mkdir()
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(path))
    return path


def test_sync_summary_json_matches_fortnox(woofort_env, woo_sandbox, fortnox_sandbox, home, capsys):
    order_id = _inject_unmapped_method(woo_sandbox)
    code = main(["sync", "--from", FIRST, "--to", LAST, "--json"])
    out = capsys.readouterr().out
    summary = json.loads(out)  # nothing but the JSON on stdout: no progress with --json
    assert code in (0, 3), summary["run"]
    assert summary["run"]["status"] == "succeeded"

    # booked per day = what the Fortnox sandbox holds, count and SEK to the öre; money as strings
    fortnox = _fortnox_books(fortnox_sandbox)
    assert fortnox and _summary_books(summary) == fortnox
    assert all(isinstance(d[k]["amount_sek"], str) for d in summary["booked"]["days"] for k in ("invoices", "payments"))
    assert not re.search(r'"amount_sek": [0-9-]', out)

    # left out: every reason with its count and first orders, as deltas.* hold them
    left = {(item["what"], item["reason"]): item for item in summary["left_out"]}
    assert left[("payment", "payment_method_not_mapped")]["orders"] >= 1
    assert order_id in left[("payment", "payment_method_not_mapped")]["first_orders"] or \
        left[("payment", "payment_method_not_mapped")]["orders"] > 5
    assert all(item["orders"] >= len(item["first_orders"]) >= 1 for item in summary["left_out"])

    # needs attention: the unmapped method with its count and the mapping lines to add
    unmapped = {u["value"]: u for u in summary["attention"]["unmapped"] if u["kind"] == "payment_method"}
    assert unmapped[METHOD]["orders"] == 1 and unmapped[METHOD]["first_orders"] == [order_id]
    assert f"    {METHOD}: {{mode_of_payment: FAKTURA_X, account: 1930}}" in unmapped[METHOD]["mapping_lines"]
    assert "payments:\n  methods:\n" in unmapped[METHOD]["mapping_lines"]

    # ... and the preflight warned about the same method before anything was sent
    warnings = _preflight_warnings()
    assert any(f"payment method {METHOD} is not in the mapping: 1 order(s)" in w for w in warnings), warnings

    # the text summary (same data, all of the ledger) carries the same figures
    assert main(["quarantine", "list"]) in (0, 3)
    capsys.readouterr()
    text = collect(None)
    assert _summary_books(text) == fortnox
    assert text["left_out"] == summary["left_out"]
    assert text["attention"]["unmapped"] == summary["attention"]["unmapped"]


def test_sync_piped_prints_plain_progress_and_the_receipt(woofort_env, woo_sandbox, fortnox_sandbox, capsys):
    _inject_unmapped_method(woo_sandbox)
    code = main(["sync", "--from", FIRST, "--to", "2026-10-04"])
    captured = capsys.readouterr()
    out = captured.out
    assert code in (0, 3), out
    assert "\x1b[" not in out  # a pipe: no terminal control sequences
    for stage in ("extract   woocommerce/orders:", "stage     staging/orders:", "deltas    deltas/invoice_delta:",
                  "fortnox   fortnox/invoices:", "run       finished"):
        assert any(line.startswith(stage) for line in out.splitlines()), (stage, out)
    assert re.search(r"fortnox/invoices: \d+ document\(s\) sent, \d+ of \d+ due", out)
    assert "Booked in Fortnox (amounts in SEK, incl. VAT)" in out and "Left out" in out
    assert f"payment method {METHOD} is not in the mapping: 1 order(s)" in out
    assert f"{METHOD}: {{mode_of_payment: FAKTURA_X, account: 1930}}" in out
    assert "Needs your attention" in out
    assert "Booked in Fortnox" not in captured.err and "extract " not in captured.err


def test_sync_on_a_terminal_shows_the_progress_display(woofort_env, tmp_path):
    """`woofort sync` on a pseudo-terminal: the live display (rich) with a bar per stage."""
    primary, secondary = pty.openpty()
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    proc = subprocess.run([sys.executable, "-m", "woofort_assets.cli", "sync", "--from", FIRST, "--to", "2026-10-02"],
                          stdout=secondary, stderr=subprocess.PIPE, env=env, cwd=Path(__file__).parents[2],
                          timeout=600)
    os.close(secondary)
    reader.join(timeout=10)
    os.close(primary)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode in (0, 3), proc.stderr.decode()[-2000:]
    assert "\x1b[" in screen  # drawn as a terminal display
    for label in ("WooCommerce pages crawled", "rows staged", "documents due to Fortnox", "Fortnox documents sent"):
        assert label in screen, screen[-3000:]
    assert "━" in screen  # the bars
    assert "Booked in Fortnox" in screen


def test_progress_counts_each_asset_once_and_estimates_from_the_fortnox_rate():
    """A range of days is one run with one materialization per day and the same metadata: counted once. The time
    left is the Fortnox requests still due at FORTNOX_RATE_LIMIT per 5 s (invoices and credits are also booked)."""
    from woofort_assets.cli.progress import RunProgress

    state = RunProgress(rate_limit=25)  # 5 requests a second
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        state.materialized("woocommerce/orders", {"pages": 4, "fetched": 350}, day)
        state.materialized("staging/orders", {"staged": 349, "quarantined": 1}, day)
    assert (state.stages["extract"].done, state.records) == (4, 350)
    assert (state.stages["stage"].done, state.quarantined) == (349, 1)
    state.materialized("deltas/invoice_delta", {"dagster/row_count": 300})
    state.materialized("deltas/payment_delta", {"dagster/row_count": 300})
    assert state.stages["fortnox"].total == 600
    assert state.remaining_seconds() == pytest.approx((300 * 2 + 300) / 5)
    state.step_started("fortnox__invoices")
    assert state.stages["fortnox"].running == {"fortnox__invoices"}
    state.step_finished("fortnox__invoices", ok=True)
    state.materialized("fortnox/invoices", {"created": 290, "failed": 10, "updated": 0})
    assert state.sent == 300 and state.remaining_seconds() == pytest.approx(900 / 5 / 2)
    assert any(line.startswith("fortnox   fortnox/invoices: 300 document(s) sent, 300 of 600 due, about 1 min 30 s")
               for line in state.lines), state.lines
    # a sink writes more documents than it read delta rows (clearing payments of credits): progress counts the rows
    state.materialized("fortnox/invoice_payments", {"created": 494, "delta_rows": {"payment_delta": 300}})
    assert state.sent == 600 and state.remaining_seconds() == 0
    assert state.lines[-1] == "fortnox   fortnox/invoice_payments: 494 document(s) sent, 600 of 600 due"
