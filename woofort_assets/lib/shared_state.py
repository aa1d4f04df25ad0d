"""The database behind WOOFORT_SHARED_STATE_URL, shared by the token store and the rate limiter of every worker."""

from __future__ import annotations

from woofort_assets.lib.settings import ConfigError

# Any fixed key: every woofort table creation in the database takes turns on it.
_CREATE_LOCK = "woofort:create-table"
_made: set[tuple[str, str]] = set()       # (database, DDL) this process has run


def connect(url: str):
    """A connection to WOOFORT_SHARED_STATE_URL; one it cannot make is a ConfigError naming the setting."""
    import psycopg2

    try:
        return psycopg2.connect(url, connect_timeout=10)
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"WOOFORT_SHARED_STATE_URL: cannot connect: {reason}") from None


def ensure_table(con, ddl: str) -> None:
    """Runs `CREATE TABLE IF NOT EXISTS …` under a transaction-level advisory lock, once per process and database
    (a token lock is taken for every refresh: it need not take this lock too). Two sessions creating the same
    table at once collide on PostgreSQL's catalog (UniqueViolation, DuplicateTable or DuplicateObject on the row
    type, depending on the moment): taking turns, the second finds the table made."""
    if (con.dsn, ddl) in _made:
        return
    autocommit = con.autocommit
    con.autocommit = False
    try:
        with con, con.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_CREATE_LOCK])
            cur.execute(ddl)
    finally:
        con.autocommit = autocommit
    _made.add((con.dsn, ddl))
