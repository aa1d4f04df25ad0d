"""Which orders a delta build prices (issue #16 item 2): only those whose inputs changed since the delta tables
were last complete, so that a 15-minute sync costs in proportion to the change, not to the shop's history.

An order's inputs are its staged rows, refunds and ledger documents (sql/deltas/_scope.sql digests them); a
customer's card is made from its latest invoiceable order, so a touched customer's two orders its card can come
from are priced again too. What every order may read (the mapping, articles, tax and currency rates, VIES
answers, the delta code itself) is the shared digest: when it changed, or the last build did not finish, every
order is priced. The delta tables then hold, for
each order, exactly what a build of every order would (tests/accounting/test_incremental_deltas.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from woofort_assets.lib import build_digest, buyers, fx_rates
from woofort_assets.lib.duckdb import transaction
from woofort_assets.lib.settings import value
from woofort_assets.lib.sql import run_sql_file

# the tables each order delta's file writes, as wf_new_<table> for the orders of the build's scope, in dependency
# order
WRITES = {"customer_delta": ("customer_delta",),
          "invoice_delta": ("invoice_delta", "invoice_drift", "invoice_exclusions"),
          "credit_delta": ("credit_delta",),
          "payment_delta": ("payment_delta", "payment_exclusions", "settlement_orders"),
          "daily_voucher_delta": ("voucher_lines",)}
# rows of a delta table that belong to the scope besides those of its orders: the cards of its customers
_ALSO_REPLACED = {"customer_delta": "source_key IN (SELECT customer_number FROM wf_scope_customers)"}
# the Python code the deltas' results depend on besides the SQL files: a new version prices every order again
_CODE = (Path(build_digest.__file__), Path(buyers.__file__), Path(fx_rates.__file__),
         Path(__file__).with_name("build.py"), Path(__file__))


def shared_digest(con, shop: str) -> str:
    rate_file = value("WOOFORT_FX_RATE_FILE")
    # a missing rate file: register_rates says so
    rates = [Path(rate_file)] if rate_file and Path(rate_file).is_file() else []
    return build_digest.shared_digest(con, shop, "deltas", _CODE, rates)


@dataclass
class Scope:
    """The orders of one build (TEMP table wf_scope, read through the views of sql/deltas/_staged.sql), and how each
    delta table it writes (wf_new_<table>) becomes deltas.<table>."""

    con: duckdb.DuckDBPyConnection
    shop: str
    full: bool
    shared: str
    complete: bool      # every order delta is built: only then may the next build price less than every order

    @classmethod
    def choose(cls, con, shop: str, deltas: list[str], full: bool) -> Scope:
        """`deltas`: the order deltas (keys of WRITES) this build makes, in WRITES' order."""
        complete = deltas == list(WRITES)
        tables = {t for name in deltas for t in WRITES[name]}
        shared = shared_digest(con, shop)
        full = build_digest.starts_over(con, shop, "deltas", "delta_builds", tables, shared) or full or not complete
        run_sql_file(con, "deltas/_scope.sql", {"full": full})
        run_sql_file(con, "deltas/_staged.sql", {})
        return cls(con, shop, full, shared, complete)

    def orders(self) -> int:
        return self.con.execute("SELECT count(*) FROM wf_scope").fetchone()[0]

    def merge(self, table: str) -> None:
        """deltas.<table> := its rows of the orders outside the scope, and wf_new_<table> (the scope's)."""
        if self.full:
            self.con.execute(f"CREATE OR REPLACE TABLE deltas.{table} AS FROM wf_new_{table}")
            return
        with transaction(self.con):
            self.con.execute(f"DELETE FROM deltas.{table} WHERE shop = ? AND (order_id IN "
                             f"(SELECT order_id FROM wf_scope) OR {_ALSO_REPLACED.get(table, 'false')})", [self.shop])
            self.con.execute(f"INSERT INTO deltas.{table} BY NAME FROM wf_new_{table}")

    def record(self) -> None:
        """After a complete build, the next one prices only what changes from here."""
        if self.complete:
            run_sql_file(self.con, "deltas/_record_scope.sql",
                         {"shop": self.shop, "shared_digest": self.shared, "full": self.full})


def price_every_order(con) -> None:
    """For SQL that reads the delta helpers outside a build (the unmapped-values summary): the whole shop."""
    run_sql_file(con, "deltas/_scope_every_order.sql", {})
    run_sql_file(con, "deltas/_staged.sql", {})
