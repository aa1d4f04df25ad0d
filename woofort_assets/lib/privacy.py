"""Personal data in woofort's DuckDB: a retention sweep over raw payloads and `forget` of one person.

What woofort keeps about people, and where (docs/reliability.md "Personal data"):
- `raw.orders`, `raw.customers` (and `quarantine.records`, which copies raw JSON): every fetched version, with
  names, addresses, e-mail, phone, IP address. Kept in full for `WOOFORT_PII_RETENTION_DAYS` (default 90) for
  replay and audit; after that `apply_retention()` blanks the personal fields (sql/privacy/_macros.sql) and keeps
  what bookkeeping needs (ids, amounts, taxes, lines, dates, countries, company name, VAT/org. numbers).
- `staging.orders`, `staging.customers`: the latest version, which the deltas read on every run.
- `ledger.documents`: numbers, statuses and payload hashes only; a guest's CustomerNumber is a prefix plus 12 hex
  of md5(e-mail) (pseudonymous, docs/accounting.md). `ledger.dead_letter.payload` and `ledger.dry_run_payloads`
  copy Fortnox request bodies, and `ledger.fortnox_documents` (migration 020, reconciliation) mirrors Fortnox's
  invoices: these name the buyer; `forget` blanks or drops those copies.
- Fortnox keeps the invoices (Bokföringslagen: 7 years); woofort never deletes or rewrites them for privacy.

`forget(email)` erases one person: raw and quarantine payloads are blanked, the person's orders (with their lines
and refunds) and customer rows are deleted from staging, payload copies naming the address are dropped from the
dead letters and dry runs. It refuses (nothing changed) while one of the person's orders still has bookkeeping
to do (in a delta, or pending/failed in the ledger): run `woofort sync` first. Deleting the staging rows rather
than blanking them is deliberate: blanked fields would change the deltas (a guest's CustomerNumber comes from the
e-mail) and make the sink rewrite documents in Fortnox; a deleted order produces no delta rows at all."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from woofort_assets.lib.duckdb import table_exists, transaction
from woofort_assets.lib.settings import ConfigError, pii_retention_days
from woofort_assets.lib.sql import STRING_OR_COMMENT, statements

_TARGET = re.compile(r"^\s*(?:UPDATE|DELETE FROM)\s+([a-z_]+\.[a-z_]+)", re.I | re.M)


class ForgetRefused(RuntimeError):
    """The person still has orders with bookkeeping to do; nothing was changed."""

    def __init__(self, order_ids: list[int]):
        super().__init__(
            f"{len(order_ids)} order(s) of this person still have bookkeeping to do in Fortnox "
            f"({', '.join(map(str, order_ids[:20]))}{' …' if len(order_ids) > 20 else ''}): run `woofort sync` "
            "first (Bokföringslagen requires the sale to be booked); nothing was erased")
        self.order_ids = order_ids


@dataclass
class ErasureResult:
    counts: dict[str, int] = field(default_factory=dict)
    cutoff: datetime | None = None
    orders: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _run(con: duckdb.DuckDBPyConnection, relative_path: str, params: dict, counts: dict[str, int] | None) -> None:
    for statement, used in statements(relative_path, params):
        target = _TARGET.search(STRING_OR_COMMENT.sub("", statement))
        if target and not table_exists(con, *target.group(1).split(".")):
            continue   # a table of a later or optional migration
        cur = con.execute(statement, used) if used else con.execute(statement)
        if counts is not None and target:
            changed = cur.fetchone()[0]
            counts[target.group(1)] = counts.get(target.group(1), 0) + int(changed)


def _log(con, shop: str, action: str, cutoff, counts: dict[str, int]) -> None:
    con.execute("INSERT INTO privacy.erasures (shop, action, cutoff, counts) VALUES (?, ?, ?, ?)",
                [shop, action, cutoff, json.dumps(counts)])


def apply_retention(con: duckdb.DuckDBPyConnection, shop: str, days: int | None = None,
                    now: datetime | None = None) -> ErasureResult:
    """Blanks personal fields of raw payloads fetched more than `days` ago; one transaction; idempotent."""
    days = pii_retention_days() if days is None else days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    result = ErasureResult(cutoff=cutoff)
    with transaction(con):
        _run(con, "privacy/_macros.sql", {}, None)
        _run(con, "privacy/retention.sql", {"shop": shop, "cutoff": cutoff}, result.counts)
        _log(con, shop, "retention", cutoff, result.counts)
    return result


def normalize_email(email: str) -> str:
    address = (email or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise ConfigError(f"--email {email!r} is not an e-mail address")
    return address


def unsettled_orders(con: duckdb.DuckDBPyConnection, shop: str, order_ids: list[int]) -> list[int]:
    """Orders of the list that are still to be sent, pending or failed in the Fortnox sink."""
    if not order_ids:
        return []
    busy: set[int] = set()
    for delta in ("invoice_delta", "credit_delta", "payment_delta"):
        if table_exists(con, "deltas", delta):
            busy.update(r[0] for r in con.execute(
                f"SELECT DISTINCT order_id FROM deltas.{delta} WHERE shop = ? AND list_contains(?, order_id)",
                [shop, order_ids]).fetchall())
    busy.update(r[0] for r in con.execute(
        "SELECT DISTINCT order_id FROM ledger.documents WHERE shop = ? AND list_contains(?, order_id) "
        "AND status IN ('pending', 'failed')", [shop, order_ids]).fetchall())
    return sorted(i for i in busy if i is not None)


def forget(con: duckdb.DuckDBPyConnection, shop: str, email: str, dry_run: bool = False) -> ErasureResult:
    """Erases the person with this e-mail address (see the module docstring); one transaction."""
    params = {"shop": shop, "email": normalize_email(email)}
    result = ErasureResult()
    con.execute("BEGIN TRANSACTION")
    try:
        _run(con, "privacy/_macros.sql", {}, None)
        _run(con, "privacy/forget_scope.sql", params, None)
        result.orders = [r[0] for r in con.execute("SELECT id FROM pv_orders ORDER BY 1").fetchall()]
        result.customers = [r[0] for r in con.execute("SELECT id FROM pv_customers ORDER BY 1").fetchall()]
        busy = unsettled_orders(con, shop, result.orders)
        if busy:
            raise ForgetRefused(busy)
        _run(con, "privacy/forget.sql", params, result.counts)
        if table_exists(con, "deltas", "customer_delta"):
            cur = con.execute("DELETE FROM deltas.customer_delta WHERE shop = $shop AND "
                              "contains(lower(CAST(payload AS VARCHAR)), $email)", params)
            result.counts["deltas.customer_delta"] = int(cur.fetchone()[0])
        if dry_run:
            con.execute("ROLLBACK")
            return result
        _log(con, shop, "forget", None, result.counts)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for table in ("pv_orders", "pv_customers"):
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    return result
