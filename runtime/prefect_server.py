"""The local Prefect server process `dabing up` starts: ``python -m runtime.prefect_server server start …`` is
``prefect server start …`` with one change when the server's database is SQLite — every write transaction
begins ``IMMEDIATE`` instead of ``DEFERRED``.

Why. Prefect's server opens its transactions ``BEGIN DEFERRED`` on SQLite: a transaction that reads first
(the automation's run-deployment action reads the deployment, then inserts the flow run) only asks for the
write lock at its first write. If another connection has committed a write since the read (the triggering
command's flow run reaching Completed, the runner's poll marking its deployments ready — both land just as
the trigger fires), SQLite cannot give the stale snapshot the lock and answers "database is locked" at once:
the busy timeout is not consulted (SQLITE_BUSY_SNAPSHOT). The API answers 503 and Prefect's client retries
2 s later, so an event-triggered run started 3.5–4.5 s after the event. With ``BEGIN IMMEDIATE`` the write
lock is taken at the start and a second writer waits its turn under the busy timeout (60 s) instead of
failing; Prefect's own comment in ``AioSqliteConfiguration.setup_sqlite`` names this remedy. Reads outside a
transaction (most API reads, the UI) are unaffected; on SQLite writers were serialized anyway.

Nothing changes on PostgreSQL (row locks; no such upgrade failure). The patch itself:
``runtime/prefect_internals.py`` (pinned to prefect 3.8.8's ``prefect.server.database.configurations``).
"""

from __future__ import annotations

import os

from runtime.prefect_internals import immediate_write_transactions


def sqlite_server() -> bool:
    """Whether the Prefect server this process would start keeps its database in SQLite."""
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    url = PREFECT_API_DATABASE_CONNECTION_URL.value()
    return url is None or str(url).startswith("sqlite")


def main() -> None:
    """``prefect …`` with the SQLite change applied in this process (the server runs in it: one worker)."""
    from config.settings import get_settings

    os.environ.setdefault("DO_NOT_TRACK", "1")
    if get_settings().prefect_sqlite_immediate and sqlite_server():
        immediate_write_transactions()
    from prefect.cli import app

    app()


if __name__ == "__main__":
    main()
