"""Fixtures for the Fortnox sink tests: a Fortnox sandbox over real HTTP, a DuckDB file of the test's own, and
delta tables written directly with the contract's columns (docs/CONTRACTS.md, "Delta tables")."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pytest

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

CLIENT_ID, CLIENT_SECRET, TENANT = "sandbox-client", "sandbox-secret", "1234567"
DELTA_TABLES = ("article_delta", "price_delta", "stock_delta", "customer_delta", "invoice_delta", "credit_delta",
                "payment_delta")


@pytest.fixture
def sandbox():
    from woofort_sandboxes.fortnox import FortnoxSandbox

    sb = FortnoxSandbox(port=0, rate_limit=100000, rate_window_seconds=5.0, clients={CLIENT_ID: CLIENT_SECRET},
                        tenant_id=TENANT).start()
    yield sb
    sb.stop()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WOOFORT_SHOP", raising=False)
    return tmp_path


class Harness:
    def __init__(self, tmp_path: Path, sb):
        self.tmp = tmp_path
        self.sb = sb
        self.db = str(tmp_path / "w.duckdb")

    # ------------------------------------------------------------------ resources / runs
    def resources(self, **overrides):
        from dagster_duckdb import DuckDBResource

        from woofort_assets.resources.fortnox import FortnoxResource

        kw = dict(api_url=self.sb.api_url, auth_url=self.sb.auth_url, client_id=CLIENT_ID,
                  client_secret=CLIENT_SECRET, tenant_id=TENANT, data_dir=str(self.tmp / "fortnox"),
                  rate_limit=100000, rate_window_seconds=5.0, max_retries=2, timeout_seconds=10.0)
        kw.update(overrides)
        return {"duckdb": DuckDBResource(database=self.db), "fortnox": FortnoxResource(**kw)}

    def client(self):
        return self.resources()["fortnox"].get_client()

    def materialize(self, assets=None, dry_run: bool = False, preflight: bool = True, raise_on_error=True):
        from woofort_assets.defs.fortnox.assets import FortnoxSinkConfig, sink_assets
        from woofort_assets.defs.fortnox.preflight import fortnox_preflight

        assets = list(assets or sink_assets)
        if preflight:
            assets = [fortnox_preflight, *assets]
        config = {}
        if dry_run:
            config = {a.op.name: FortnoxSinkConfig(dry_run=True) for a in assets if a is not fortnox_preflight}
        return dg.materialize(assets, resources=self.resources(), run_config=dg.RunConfig(ops=config),
                              raise_on_error=raise_on_error)

    # ------------------------------------------------------------------ DuckDB
    def sql(self, statement: str, params=None):
        from woofort_assets.lib.duckdb import connect

        with connect(self.db) as con:
            cur = con.execute(statement, params or [])
            return cur.fetchall() if cur.description else None

    def write_deltas(self, **tables: list[dict]) -> None:
        """Rebuilds deltas.<name> from dicts with source_key, entity, action, payload, and optionally order_id,
        ref_entity, ref_source_key. Tables not given are created empty."""
        from woofort_assets.lib.duckdb import connect

        with connect(self.db) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS deltas")
            for name in DELTA_TABLES:
                con.execute(f"CREATE OR REPLACE TABLE deltas.{name} (shop VARCHAR, source_key VARCHAR, "
                            "entity VARCHAR, action VARCHAR, payload JSON, payload_hash VARCHAR, order_id BIGINT, "
                            "ref_entity VARCHAR, ref_source_key VARCHAR)")
                rows = []
                for r in tables.get(name, []):
                    text = json.dumps(r["payload"], ensure_ascii=False) if r.get("payload") is not None else None
                    rows.append(("default", str(r["source_key"]), r["entity"], r["action"], text,
                                 hashlib.md5((text or "").encode()).hexdigest(), r.get("order_id"),
                                 r.get("ref_entity"), r.get("ref_source_key")))
                if rows:
                    import pyarrow as pa

                    cols = ["shop", "source_key", "entity", "action", "payload", "payload_hash", "order_id",
                            "ref_entity", "ref_source_key"]
                    batch = pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})  # noqa: F841
                    con.execute(f"INSERT INTO deltas.{name} SELECT shop, source_key, entity, action, "
                                "CAST(payload AS JSON), payload_hash, CAST(order_id AS BIGINT), ref_entity, "
                                "ref_source_key FROM batch")

    def ledger(self, entity: str) -> dict[str, tuple]:
        rows = self.sql("SELECT source_key, status, fortnox_number, booked, attempts FROM ledger.documents "
                        "WHERE entity = ?", [entity])
        return {r[0]: r[1:] for r in rows}

    # ------------------------------------------------------------------ sandbox
    def writes(self) -> int:
        counters = self.sb.counters_snapshot()
        return sum(v for k, v in counters.items()
                   if k.split(" ", 1)[0] in ("POST", "PUT", "DELETE") and " /3/" in k)

    def requests(self) -> int:
        counters = self.sb.counters_snapshot()
        return sum(v for k, v in counters.items() if k.split(" ", 1)[0] in ("GET", "POST", "PUT", "DELETE")
                   and (" /3/" in k or " /api/" in k))

    def invoices(self) -> list[dict]:
        with self.sb.state.lock:
            return [dict(d) for d in self.sb.state["invoices"].values()]


@pytest.fixture
def h(env, sandbox):
    return Harness(env, sandbox)


# ---------------------------------------------------------------------- payload builders
def customer(number: str, name: str | None = None) -> dict:
    return {"source_key": number, "entity": "customer", "action": "upsert",
            "payload": {"Customer": {"CustomerNumber": number, "Name": name or f"Kund {number}",
                                     "Email": f"{number.lower()}@example.se", "CountryCode": "SE"}}}


def article(number: str, description: str | None = None) -> dict:
    return {"source_key": number, "entity": "article", "action": "upsert",
            "payload": {"Article": {"ArticleNumber": number, "Description": description or f"Artikel {number}",
                                    "VAT": 25, "SalesAccount": 3001, "StockGoods": True}}}


def price(number: str, amount: float) -> dict:
    return {"source_key": f"{number}:A:0", "entity": "price", "action": "upsert",
            "payload": {"Price": {"ArticleNumber": number, "PriceList": "A", "FromQuantity": 0, "Price": amount}}}


def invoice(order_id: int, customer_number: str, rows: list[dict] | None = None, date: str = "2026-10-05",
            **fields) -> dict:
    rows = rows or [{"Description": f"Order {order_id}", "DeliveredQuantity": 1, "Price": 100, "VAT": 25,
                     "AccountNumber": 3001}]
    body = {"CustomerNumber": customer_number, "InvoiceDate": date, "ExternalInvoiceReference1": str(order_id),
            "YourOrderNumber": str(order_id), "InvoiceRows": rows, **fields}
    return {"source_key": str(order_id), "entity": "invoice", "action": "create", "order_id": order_id,
            "payload": {"Invoice": body}}


def payment(order_id: int, amount: float, date: str = "2026-10-06", mode: str = "BG", account: int = 1930) -> dict:
    return {"source_key": f"{order_id}:payment", "entity": "invoice_payment", "action": "create",
            "order_id": order_id, "ref_entity": "invoice", "ref_source_key": str(order_id),
            "payload": {"InvoicePayment": {"InvoiceNumber": None, "Amount": amount, "AmountCurrency": amount,
                                           "PaymentDate": date, "ModeOfPayment": mode,
                                           "ModeOfPaymentAccount": account}}}


def partial_credit(refund_id: int, order_id: int, customer_number: str, amount: float,
                   date: str = "2026-10-07") -> dict:
    return {"source_key": str(refund_id), "entity": "credit_invoice", "action": "credit", "order_id": order_id,
            "ref_entity": "invoice", "ref_source_key": str(order_id),
            "payload": {"Invoice": {"CustomerNumber": customer_number, "InvoiceDate": date,
                                    "CreditInvoiceReference": None, "ExternalInvoiceReference1": str(order_id),
                                    "ExternalInvoiceReference2": f"refund {refund_id}",
                                    "InvoiceRows": [{"Description": f"Refund {refund_id}", "DeliveredQuantity": -1,
                                                     "Price": amount, "VAT": 25, "AccountNumber": 3001}]}}}


def stock(number: str, quantity: float) -> dict:
    return {"source_key": number, "entity": "stock", "action": "set_stock",
            "payload": {"Article": {"ArticleNumber": number, "QuantityInStock": quantity}}}
