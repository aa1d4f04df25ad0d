"""The shared-state database (WOOFORT_SHARED_STATE_URL): every worker's first use may create its tables at once."""

from __future__ import annotations

import threading

from tests.conftest import postgres_url
from woofort_assets.lib.shared_state import connect, ensure_table


def test_tables_created_by_many_sessions_at_once(postgres_database):
    """Unguarded, a few such rounds raise DuplicateObject, UniqueViolation or DuplicateTable (CI, 2026-12-07)."""
    url, sessions, tables = postgres_url(postgres_database), 8, 12
    cons = [connect(url) for _ in range(sessions)]
    for i, con in enumerate(cons):
        con.autocommit = i % 2 == 0     # the token store's connections are autocommit, the limiter's are not
    errors: list[str] = []
    for n in range(tables):
        start = threading.Barrier(sessions)

        def create(con, ddl=f"CREATE TABLE IF NOT EXISTS race_{n} (key TEXT PRIMARY KEY, stamp FLOAT8)"):
            start.wait()
            try:
                ensure_table(con, ddl)
            except Exception as error:  # noqa: BLE001 - the test reports every kind
                errors.append(f"{type(error).__name__}: {error}".strip())

        threads = [threading.Thread(target=create, args=(con,)) for con in cons]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert [con.autocommit for con in cons] == [i % 2 == 0 for i in range(sessions)]  # as handed in
    with cons[0].cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'race_%'")
        assert cur.fetchone()[0] == tables
    for con in cons:
        con.close()
