"""One way to open our SQL databases: SQLite files on the embedded default, PostgreSQL in
scaled mode (`KYR_DATABASE_URL`). Reports, liaison accounts, the SMS gateway's state and
Rasa's trackers all open theirs here.

>>> engine = open_engine("sqlite://")
>>> with engine.connect() as db:
...     db.exec_driver_sql("SELECT 1").scalar()
1
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool, StaticPool

__all__ = ["open_engine"]


def open_engine(url: str, *, keep_open: bool = False) -> Engine:
    """An engine for `url`. `keep_open` keeps SQLite connections in a pool, for a store used
    several times a message (SQLAlchemy otherwise opens a new one for every use of a file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, future=True, pool_pre_ping=True)  # survives a database restart
    options: dict[str, Any] = {"future": True, "connect_args": {"check_same_thread": False, "timeout": 30}}
    if not parsed.database or parsed.database == ":memory:":
        options["poolclass"] = StaticPool  # one shared in-memory database, for tests and doctests
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if keep_open:
            options["poolclass"] = QueuePool
    engine = sa.create_engine(parsed, **options)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Readers never wait for the writer; a writer waits its turn; WAL with NORMAL sync survives
    # a crashed process (not a power cut) without an fsync a write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
