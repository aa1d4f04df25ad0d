"""Builds the delta tables: the mapping as TEMP lookup tables, the shared helper SQL once, then
sql/deltas/<name>.sql for every delta asked for.

Used by the Dagster multi-asset (assets.py), the benchmarks and the tests; one function, one code path."""

from __future__ import annotations

import re
from datetime import datetime

from woofort_assets.defs.deltas.scope import WRITES, Scope
from woofort_assets.lib.buyers import register_buyer_numbers
from woofort_assets.lib.fx_rates import register_rates
from woofort_assets.lib.mapping import Mapping, register_clock, register_mapping
from woofort_assets.lib.sql import run_sql_file
from woofort_assets.resources.vies import ViesResource

# delta -> helper files (sql/deltas/_*.sql) it needs; _macros.sql always runs first. In dependency order:
# credits and payments read the invoice delta, payments the credit delta.
DELTAS: dict[str, tuple[str, ...]] = {
    "article_delta": ("_articles",),
    "price_delta": ("_articles",),
    "stock_delta": ("_articles",),
    "customer_delta": ("_articles", "_buyers", "_rates", "_line_rates", "_orders"),
    "invoice_delta": ("_articles", "_buyers", "_rates", "_line_rates", "_orders"),
    "credit_delta": ("_articles", "_buyers", "_rates", "_line_rates", "_orders"),
    "payment_delta": ("_articles", "_buyers", "_rates", "_line_rates", "_orders"),
    "daily_voucher_delta": ("_articles", "_buyers", "_rates", "_line_rates", "_orders"),
    "fee_voucher_delta": (),
}
# deltas whose SQL reads another's TEMP tables, which a build then makes too
NEEDS = {"daily_voucher_delta": ("credit_delta",)}
# tables a delta's SQL writes besides deltas.<name>, other than the order deltas' (scope.WRITES)
COMPANIONS: dict[str, tuple[str, ...]] = {"fee_voucher_delta": ("fee_voucher_orders", "fee_exclusions"),
                                          "daily_voucher_delta": ("daily_voucher_held",)}
# DuckDB memory per order in a slice of the steps that cannot spill to disk ($part in sql/deltas/_orders.sql):
# measured: 1,000,000 orders build within memory_limit 500MB in 3 slices, within 1GB in 2
MEMORY_PER_ORDER_BYTES = 1_500
_SIZE = re.compile(r"([0-9.]+)\s*([KMGT]?i?B|bytes)", re.I)
_UNITS = {"bytes": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def build_deltas(con, names, mapping: Mapping, shop: str, start_date: str,
                 vies: ViesResource | None = None, full: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Rebuilds deltas.<name> (and its companion tables) for each of `names`; returns their row counts. `vies`:
    the buyers' VAT numbers are also put to VIES when it is enabled (lib/buyers.py). The order deltas price only
    the orders whose inputs changed when every order delta is built and `full` is not asked (scope.py). `now`: the
    store's local time that decides which voucher days are over (default the clock)."""
    unknown = [n for n in names if n not in DELTAS]
    if unknown:
        raise ValueError(f"unknown delta(s) {', '.join(map(repr, unknown))}; known: {', '.join(DELTAS)}")
    wanted = [n for n in DELTAS if n in names or any(n in NEEDS.get(m, ()) for m in names)]
    helpers = dict.fromkeys(h for n in wanted for h in DELTAS[n])
    # No enclosing transaction: DuckDB keeps a transaction's temp tables in memory it cannot spill, and every
    # delta table is replaced atomically on its own; a failed build fails the step, so no sink reads a mix.
    register_mapping(con, mapping, shop, start_date)
    register_clock(con, mapping, now)
    run_sql_file(con, "deltas/_macros.sql", {})
    scope = None
    order_deltas = [n for n in wanted if n in WRITES]
    if order_deltas:
        helpers.pop("_articles")
        run_sql_file(con, "deltas/_articles.sql", {})     # before the scope: the shared digest reads wf_articles
        scope = Scope.choose(con, shop, order_deltas, full=full)
    params = sql_params(con, scope.orders() if scope else 0)
    # helpers that are Python (they run sql/deltas/<name>.sql themselves)
    python_helpers = {"_buyers": lambda c: register_buyer_numbers(c, vies), "_rates": register_rates}
    for helper in helpers:
        if helper in python_helpers:
            python_helpers[helper](con)
        else:
            run_sql_file(con, f"deltas/{helper}.sql", params)
    for name in wanted:
        run_sql_file(con, f"deltas/{name}.sql", params)
        for table in WRITES.get(name, ()):
            scope.merge(table)
    if scope:
        scope.record()
    return {n: con.execute(f"SELECT count(*) FROM deltas.{n} WHERE shop = ?", [shop]).fetchone()[0]
            for n in wanted if n in names}


def sql_params(con, orders: int) -> dict[str, object]:
    """The parameters of the delta helper SQL: how many parts the steps that cannot spill run in, so that each
    part of the `orders` priced fits in DuckDB's memory_limit (WOOFORT_DUCKDB_MEMORY_LIMIT)."""
    size = _SIZE.fullmatch(con.execute("SELECT current_setting('memory_limit')").fetchone()[0].strip())
    limit = float(size.group(1)) * _UNITS[size.group(2).lower()] if size else 10**9
    per_part = max(1, int(limit // MEMORY_PER_ORDER_BYTES))
    return {"parts": max(1, -(-orders // per_part))}


def build_delta(con, name: str, mapping: Mapping, shop: str, start_date: str) -> int:
    return build_deltas(con, [name], mapping, shop, start_date)[name]


def build_all(con, mapping: Mapping, shop: str, start_date: str, full: bool = False,
              now: datetime | None = None) -> dict[str, int]:
    return build_deltas(con, list(DELTAS), mapping, shop, start_date, full=full, now=now)
