"""Shared harness for the reliability tests: both sandboxes live in the test process, the pipeline runs as the
real `python -m woofort_assets.cli sync` subprocess (or in process), and Fortnox's final state is reduced to a
canonical form that ignores document numbers, OCR, vouchers and timestamps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CLIENT_ID, CLIENT_SECRET, TENANT = "reliability-client", "reliability-secret-Zq9x", "1234567"
WOO_KEY, WOO_SECRET = "ck_reliability_key_7f3a", "cs_reliability_secret_9c1d"
START = "2026-10-01"


def start_fortnox(rate_limit: int = 100000, **kw):
    from tests.conftest import FINNISH_RATES
    from woofort_sandboxes.fortnox import FortnoxSandbox

    sb = FortnoxSandbox(port=0, rate_limit=rate_limit, rate_window_seconds=5.0,
                        clients={CLIENT_ID: CLIENT_SECRET}, tenant_id=TENANT, **kw).start()
    with sb.state.lock:   # the default mapping names PAYPAL; öresavrundning off as docs/accounting.md §10 requires;
        # Finland's OSS rates, which the WooCommerce sandbox sells at
        sb.state.seed_reference({"modesofpayments": [{"Code": "PAYPAL", "AccountNumber": 1580}, {"Code": "KVITT", "AccountNumber": 1510}],
                                 "settings": {"round_off": False, "foreign_vat_rates": list(FINNISH_RATES)}})
    return sb


def start_woo(tmp: Path, orders: int = 500, days: int = 50, seed: int = 7):
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    return WooCommerceSandbox(orders=orders, seed=seed, start_date=START, days=days, tls=True,
                              consumer_key=WOO_KEY, consumer_secret=WOO_SECRET, state_dir=tmp / "woo-ca").start()


def pipeline_env(woo, fortnox, data_dir: Path, *, service_account: bool = True, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WOOFORT_", "WOOCOMMERCE_", "FORTNOX_",
                                                                    "DAGSTER_HOME"))}
    env.update({
        "WOOCOMMERCE_URL": woo.url, "WOOCOMMERCE_CONSUMER_KEY": WOO_KEY, "WOOCOMMERCE_CONSUMER_SECRET": WOO_SECRET,
        "REQUESTS_CA_BUNDLE": str(woo.ca_path), "WOOFORT_DATA_DIR": str(data_dir),
        "WOOFORT_START_DATE": START, "WOOFORT_TIMEZONE": "Europe/Stockholm", "DAGSTER_DISABLE_TELEMETRY": "1",
        "FORTNOX_API_URL": fortnox.api_url, "FORTNOX_AUTH_URL": fortnox.auth_url,
        "FORTNOX_CLIENT_ID": CLIENT_ID, "FORTNOX_CLIENT_SECRET": CLIENT_SECRET,
        "FORTNOX_RATE_LIMIT": "100000", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1",
    })
    if service_account:
        env["FORTNOX_TENANT_ID"] = TENANT
    env.update(extra or {})
    return env


def sync_cmd(first: str, last: str, verbose: bool = False) -> list[str]:
    return [PYTHON, "-m", "woofort_assets.cli", "sync", "--from", first, "--to", last] + (["--verbose"] if verbose
                                                                                           else [])


def run_sync_subprocess(env: dict, first: str, last: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(sync_cmd(first, last), env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def run_and_kill(env: dict, first: str, last: str, step_prefix: str, delay: float,
                 timeout: float = 300) -> tuple[str, float, str]:
    """Starts a verbose sync, waits until a step whose key starts with `step_prefix` has started (Dagster's
    STEP_START line on stderr), sleeps `delay` s, then SIGKILLs the process. Returns (what happened, seconds,
    the step that was running). If the step never starts the run is killed at the end (or finishes)."""
    proc = subprocess.Popen(sync_cmd(first, last, verbose=True), env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    started = time.monotonic()
    armed = threading.Event()
    state = {"step": None}

    def reader():
        for line in proc.stdout:
            if "STEP_START" in line or "Started execution of step" in line:
                step = _step_of(line)
                if step:
                    state["step"] = step
                    if step.startswith(step_prefix):
                        armed.set()
    threading.Thread(target=reader, daemon=True).start()
    while not armed.is_set() and proc.poll() is None:
        if time.monotonic() - started > timeout:
            break
        armed.wait(0.05)
    if proc.poll() is not None:
        return f"finished rc={proc.returncode}", time.monotonic() - started, state["step"] or ""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    if proc.poll() is not None:
        return f"finished rc={proc.returncode}", time.monotonic() - started, state["step"] or ""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return "killed", time.monotonic() - started, state["step"] or ""


def _step_of(line: str) -> str | None:
    import re

    m = re.search(r'Started execution of step "([^"]+)"', line)
    if m:
        return m.group(1)
    m = re.search(r"- ([a-z_]+__[a-z_]+) - STEP_START", line)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------- Fortnox state
def _dec(value) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except Exception:  # noqa: BLE001
        return str(value)


ROW_FIELDS = ("ArticleNumber", "Description", "DeliveredQuantity", "Price", "VAT", "AccountNumber", "Discount",
              "DiscountType", "Unit")
INVOICE_FIELDS = ("CustomerNumber", "InvoiceDate", "Currency", "CurrencyRate", "Total", "TotalVAT", "RoundOff",
                  "Freight", "AdministrationFee", "VATIncluded", "Cancelled", "Booked", "YourOrderNumber",
                  "ExternalInvoiceReference2", "Credit", "Balance")


CLEARING_MODE = "KVITT"    # mapping.yaml payments.clearing


def canonical_state(sb) -> dict:
    """Fortnox's documents keyed by WooCommerce identity, without numbers, OCR and timestamps."""
    with sb.state.lock:
        invoices = {k: dict(v) for k, v in sb.state["invoices"].items()}
        payments = [dict(v) for v in sb.state["invoicepayments"].values()]
        customers = [dict(v) for v in sb.state["customers"].values()]
        articles = [dict(v) for v in sb.state["articles"].values()]
        prices = [dict(v) for v in sb.state["prices"].values()]

    def ref_of(doc) -> str:
        """An invoice is identified by its order id; a credit invoice by the order id, 'credit' and its
        reference 2 (the refund) or, for a whole-invoice credit, the credited invoice's identity."""
        base = str(doc.get("ExternalInvoiceReference1") or "")
        if str(doc.get("Credit")).lower() == "true":
            return f"{base}/credit/{doc.get('ExternalInvoiceReference2') or ''}"
        return base

    docs = Counter()
    number_to_ref = {}
    for number, doc in invoices.items():
        number_to_ref[str(number)] = ref_of(doc)
    for number, doc in invoices.items():
        rows = tuple(sorted(tuple(_dec(r.get(f)) if f in ("DeliveredQuantity", "Price", "Discount") else
                                  str(r.get(f) or "") for f in ROW_FIELDS) for r in doc.get("InvoiceRows") or []))
        fields = tuple(_dec(doc.get(f)) if f in ("Total", "TotalVAT", "RoundOff", "Freight", "AdministrationFee",
                                                 "Balance", "CurrencyRate") else str(doc.get(f)) for f in INVOICE_FIELDS)
        credit_ref = number_to_ref.get(str(doc.get("CreditInvoiceReference") or ""), "")
        docs[(ref_of(doc), fields, rows, credit_ref)] += 1
    pays = Counter()
    for p in payments:
        if p.get("ModeOfPayment") == CLEARING_MODE:
            continue    # offsets between an order's documents: which are needed depends on the order Fortnox saw the
            #             documents in (docs/fortnox-sink.md); their effect, each document's Balance, is compared
        pays[(number_to_ref.get(str(p.get("InvoiceNumber")), "?"), _dec(p.get("Amount")),
              _dec(p.get("AmountCurrency")), str(p.get("PaymentDate")), str(p.get("ModeOfPayment")),
              str(p.get("Booked")))] += 1
    custs = Counter(json.dumps({k: v for k, v in c.items() if not k.startswith(("@", "_"))},
                               sort_keys=True, default=str) for c in customers)
    arts = Counter((a.get("ArticleNumber"), a.get("Description"), str(a.get("QuantityInStock")), str(a.get("VAT")),
                    str(a.get("SalesAccount"))) for a in articles)
    prcs = Counter((p.get("PriceList"), p.get("ArticleNumber"), str(p.get("FromQuantity")), _dec(p.get("Price")))
                   for p in prices)
    return {"invoices": docs, "payments": pays, "customers": custs, "articles": arts, "prices": prcs}


def diff_states(expected: dict, actual: dict) -> dict:
    out = {}
    for kind in expected:
        missing = expected[kind] - actual[kind]
        extra = actual[kind] - expected[kind]
        if missing or extra:
            out[kind] = {"missing": list(missing.items())[:5], "extra": list(extra.items())[:5],
                         "n_missing": sum(missing.values()), "n_extra": sum(extra.values())}
    return out


def duplicate_references(sb) -> dict:
    with sb.state.lock:
        refs = Counter(str(d.get("ExternalInvoiceReference1")) for d in sb.state["invoices"].values()
                       if str(d.get("Credit")).lower() != "true" and not d.get("Cancelled"))
    return {k: n for k, n in refs.items() if n > 1}


def ledger_inconsistencies(db: Path, sb) -> list:
    """Every synced/adopted ledger row with a Fortnox number must point at an existing document."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT entity, source_key, status, fortnox_number FROM ledger.documents "
                           "WHERE status IN ('synced', 'adopted', 'cancelled')").fetchall()
    finally:
        con.close()
    with sb.state.lock:
        invoices = set(map(str, sb.state["invoices"]))
        payments = set(map(str, sb.state["invoicepayments"]))
        customers = set(map(str, sb.state["customers"]))
        articles = set(map(str, sb.state["articles"]))
    where = {"invoice": invoices, "credit_invoice": invoices, "invoice_reissue": invoices,
             "invoice_payment": payments, "customer": customers, "article": articles, "stock": articles}
    bad = []
    for entity, key, status, number in rows:
        if entity in where and (number is None or str(number) not in where[entity]):
            bad.append((entity, key, status, number))
    return bad


def ledger_counts(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(((e, s), n) for e, s, n in con.execute(
            "SELECT entity, status, count(*) FROM ledger.documents GROUP BY ALL").fetchall())
    finally:
        con.close()


def fortnox_writes(sb) -> int:
    return sum(v for k, v in sb.counters_snapshot().items()
               if k.split(" ", 1)[0] in ("POST", "PUT", "DELETE") and " /3/" in k)


def run_and_kill_after_writes(env: dict, first: str, last: str, sb, writes: int,
                              timeout: float = 300) -> tuple[str, float, int]:
    """Starts a sync and SIGKILLs it as soon as Fortnox has received `writes` more write requests (the sandbox
    lives in this process, so the kill lands inside the sink, between or during its HTTP calls)."""
    base = fortnox_writes(sb)
    proc = subprocess.Popen(sync_cmd(first, last), env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() - started < timeout:
        if fortnox_writes(sb) - base >= writes:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return "killed", time.monotonic() - started, fortnox_writes(sb) - base
        time.sleep(0.002)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "timeout", time.monotonic() - started, fortnox_writes(sb) - base
    return f"finished rc={proc.returncode}", time.monotonic() - started, fortnox_writes(sb) - base


def run_in_process(first: str, last: str, *, woo, fortnox, data_dir: Path, fortnox_kw: dict | None = None,
                   woo_kw: dict | None = None):
    """The sync job's assets and checks for a partition range in one run, in this process, with the Fortnox and
    WooCommerce resources pointed at the sandboxes (and tunable: timeouts, retries, page size)."""
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from woofort_assets.definitions import build_definitions
    from woofort_assets.defs.automation.jobs import SYNC_SELECTION
    from woofort_assets.resources.fortnox import FortnoxResource
    from woofort_assets.resources.woocommerce import WooCommerceResource

    defs = build_definitions()
    fkw = dict(api_url=fortnox.api_url, auth_url=fortnox.auth_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
               tenant_id=TENANT, data_dir=str(data_dir), rate_limit=100000)
    fkw.update(fortnox_kw or {})
    resources = {
        **defs.resources,
        "duckdb": DuckDBResource(database=str(data_dir / "woofort.duckdb")),
        "fortnox": FortnoxResource(**fkw),
        "woocommerce": WooCommerceResource(url=woo.url, consumer_key=WOO_KEY, consumer_secret=WOO_SECRET,
                                           **(woo_kw or {})),
    }
    job = dg.define_asset_job("reliability_sync", selection=SYNC_SELECTION,
                              partitions_def=defs.resolve_job_def("sync").partitions_def)
    wired = dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=[job], resources=resources)
    return wired.resolve_job_def("reliability_sync").execute_in_process(
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}}, raise_on_error=False)


def step_errors(result) -> dict[str, str]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            err = event.event_specific_data.error
            out[event.step_key] = str((err.cause or err).message)[:300]
    return out


def sync_ok(proc: subprocess.CompletedProcess) -> bool:
    """`woofort sync` succeeded for the pipeline: exit 0/3, or exit 1 caused only by ERROR checks of the
    reconciliation group (another engineer's accounting checks, which judge the books, not the pipeline's run),
    with no failed step."""
    if proc.returncode in (0, 3):
        return True
    if proc.returncode != 1 or "\n  error:" in proc.stdout or "FAILED" not in proc.stdout.splitlines()[0]:
        return False
    failed = [line.split("ERROR", 1)[1].strip() for line in proc.stdout.splitlines() if line.startswith("    ERROR ")]
    return bool(failed) and all(name.startswith("reconciliation/") for name in failed)


def open_dead_letters(db: Path) -> int:
    """Open dead letters: each waits (no write) until its payload changes, a document it depends on syncs or an
    operator retries it; one written before migration 024 (no hash) is sent once more (docs/fortnox-sink.md)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM ledger.dead_letter WHERE status = 'open'").fetchone()[0]
    finally:
        con.close()
