"""Builds the delta tables: the mapping as TEMP lookup tables, the shared helper SQL, then sql/deltas/<name>.sql.

Used by the Dagster assets (assets.py) and by tests/accounting; one function, one code path."""

from __future__ import annotations

from woofort_assets.lib.mapping import Mapping, register_mapping
from woofort_assets.lib.sql import load_sql

# delta -> helper files (sql/deltas/_*.sql) it needs, in order; _macros.sql always runs first.
DELTAS: dict[str, tuple[str, ...]] = {
    "article_delta": ("_articles",),
    "price_delta": ("_articles",),
    "stock_delta": ("_articles",),
    "customer_delta": ("_articles", "_orders"),
    "invoice_delta": ("_articles", "_orders"),
    "credit_delta": ("_articles", "_orders"),
    "payment_delta": ("_articles", "_orders"),
}
# extra tables a delta file writes besides deltas.<name>
EXTRA_TABLES = {"invoice_delta": ("invoice_exclusions",), "payment_delta": ("payment_exclusions",)}


def build_delta(con, name: str, mapping: Mapping, shop: str, start_date: str) -> int:
    """Rebuilds deltas.<name> (and its companion tables) in one transaction; returns its row count."""
    if name not in DELTAS:
        raise ValueError(f"unknown delta {name!r}; known: {', '.join(DELTAS)}")
    con.execute("BEGIN TRANSACTION")
    try:
        register_mapping(con, mapping, shop, start_date)
        con.execute(load_sql("deltas/_macros.sql"))
        for helper in DELTAS[name]:
            con.execute(load_sql(f"deltas/{helper}.sql"))
        con.execute(load_sql(f"deltas/{name}.sql"))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return con.execute(f"SELECT count(*) FROM deltas.{name} WHERE shop = ?", [shop]).fetchone()[0]


def build_all(con, mapping: Mapping, shop: str, start_date: str) -> dict[str, int]:
    """Every delta in dependency order (credits and payments look at the invoice delta)."""
    return {name: build_delta(con, name, mapping, shop, start_date) for name in DELTAS}
