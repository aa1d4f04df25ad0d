"""Which orders a reconciliation build replaces (issue #16): only those whose inputs changed since the tables were
last complete, so that a 15-minute sync costs in proportion to the change, not to the shop's history.

The reconciliation audits the deltas, so it detects change on its own (sql/reconciliation/_scope.sql), never
through the deltas' digests: an order's staged rows, ledger documents, open dead letters and exclusion rows, and
its Fortnox documents. What every order may read (the mapping, tax rates, the VAT model, customer and article dead
letters, the reconciliation's code) is the shared digest: when it changed, a table is missing, or the last build did
not finish, every order is reconciled. Per-order tables get the scope's rows replaced; the per-day tables of the
days the scope's documents were or are on come from running sums per day, to which a build adds the scope's
per-document rows as they are now and from which it subtracts them as they were (sql/reconciliation/_days.sql).
The tables then hold exactly what a build of every order would
(tests/reconciliation/test_incremental_reconciliation.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from woofort_assets.lib import build_digest
from woofort_assets.lib.duckdb import transaction
from woofort_assets.lib.sql import run_sql_file

# reconcile.sql's tables (rc_new_<table>) whose rows belong to an order (or to a Fortnox document without one), and
# _days.sql's, whose rows belong to a day: the running sums and the tables derived from them
PER_ORDER = ("orders", "payments", "fortnox_document_problems", "order_balances", "order_vat", "day_documents",
             "day_buckets")
PER_DAY = ("day_rate_sums", "day_currency_sums", "day_sums", "by_day_rate", "by_day_currency", "by_day")
# the Python code the tables depend on besides the SQL files: a new version reconciles every order again
_CODE = (Path(build_digest.__file__), Path(__file__).with_name("build.py"), Path(__file__))


def shared_digest(con, shop: str) -> str:
    return build_digest.shared_digest(con, shop, "reconciliation", _CODE)


@dataclass
class Scope:
    """The orders of one build (TEMP table rc_scope, which the reconciliation SQL reads unless `full`), and how
    each table it writes (rc_new_<table>) becomes reconciliation.<table>."""

    con: duckdb.DuckDBPyConnection
    shop: str
    full: bool
    shared: str

    @classmethod
    def choose(cls, con, shop: str, full: bool) -> Scope:
        shared = shared_digest(con, shop)
        full = build_digest.starts_over(con, shop, "reconciliation", "builds", (*PER_ORDER, *PER_DAY), shared) or full
        run_sql_file(con, "reconciliation/_scope.sql", {"full": full})
        return cls(con, shop, full, shared)

    def orders(self) -> int:
        return self.con.execute("SELECT count(*) FROM rc_scope").fetchone()[0]

    def merge_orders(self) -> None:
        """Each per-order table := its rows of the orders outside the scope, and rc_new_<table> (the scope's)."""
        for table in PER_ORDER:
            self._merge(table, "order_id IS NULL OR order_id IN (SELECT order_id FROM rc_scope)")

    def merge_days(self) -> None:
        """Each per-day table := its rows of the days outside rc_days (_days.sql), and rc_new_<table> (those days')."""
        for table in PER_DAY:
            self._merge(table, "day IN (SELECT day FROM rc_days)")

    def _merge(self, table: str, replaced: str) -> None:
        if self.full:    # in order of the key an incremental build reads by, so a scan can skip row groups
            key = "order_id" if table in PER_ORDER else "day"
            self.con.execute(f"CREATE OR REPLACE TABLE reconciliation.{table} AS FROM rc_new_{table} ORDER BY {key}")
            return
        with transaction(self.con):
            self.con.execute(f"DELETE FROM reconciliation.{table} WHERE shop = ? AND ({replaced})", [self.shop])
            self.con.execute(f"INSERT INTO reconciliation.{table} BY NAME FROM rc_new_{table}")

    def record(self) -> None:
        """After every table is written, the next build replaces only what changes from here."""
        run_sql_file(self.con, "reconciliation/_record_scope.sql",
                     {"shop": self.shop, "shared_digest": self.shared, "full": self.full})
