"""Delete conversations: those idle longer than the retention period, or one on request.

Rasa's SQL tracker store keeps one row an event in the table `events`, on SQLite (the
embedded default) or PostgreSQL (`KYR_DATABASE_URL`); both are reached with SQLAlchemy. A
conversation whose newest event is older than the cut-off is removed whole.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

__all__ = ["forget", "purge", "purge_all"]


def _engine(tracker: Path | str) -> Engine | None:
    """An engine for the tracker store, or None when it has no events table (yet)."""
    if isinstance(tracker, Path):
        if not tracker.exists():
            return None
        tracker = f"sqlite:///{tracker}"
    elif tracker.startswith("sqlite:///") and not Path(tracker.removeprefix("sqlite:///")).exists():
        return None
    engine = create_engine(tracker, future=True)
    if not inspect(engine).has_table("events"):
        engine.dispose()
        return None
    return engine


def purge(tracker: Path | str, older_than_days: int, now: float | None = None) -> int:
    """Delete every conversation idle for more than `older_than_days`; return how many."""
    engine = _engine(tracker)
    if engine is None:
        return 0
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    try:
        with engine.begin() as db:
            old = [row[0] for row in db.execute(
                text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"), {"cutoff": cutoff})]
            for sender in old:
                db.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender})
        return len(old)
    finally:
        engine.dispose()


def forget(tracker: Path | str, sender_id: str) -> int:
    """Delete one conversation from the tracker store; return how many events went."""
    engine = _engine(tracker)
    if engine is None:
        return 0
    try:
        with engine.begin() as db:
            return db.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}).rowcount or 0
    finally:
        engine.dispose()


def purge_all(tracker: Path | str, gateway_url: str, secret: str, older_than_days: int) -> tuple[int, int]:
    """Purge the tracker store and the SMS gateway's records (a SQLAlchemy URL); return (conversations, records)."""
    from bot.gateway_store import GatewayStore

    conversations = purge(tracker, older_than_days)
    url = make_url(gateway_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return conversations, 0
    store = GatewayStore(gateway_url, secret)
    try:
        return conversations, store.purge(older_than_days * 86400)
    finally:
        store.close()
