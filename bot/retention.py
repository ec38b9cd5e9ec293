"""Delete conversations older than the retention period from the embedded tracker store.

Rasa's SQL tracker store keeps one row an event in the table `events`. A conversation
whose newest event is older than the cut-off is removed whole.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

__all__ = ["forget", "purge", "purge_all"]


def purge(db_path: Path, older_than_days: int, now: float | None = None) -> int:
    """Delete every conversation idle for more than `older_than_days`; return how many."""
    if not db_path.exists():
        return 0
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    with sqlite3.connect(db_path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "events" not in tables:
            return 0
        old = [row[0] for row in db.execute("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < ?", (cutoff,))]
        db.executemany("DELETE FROM events WHERE sender_id = ?", [(s,) for s in old])
    return len(old)


def forget(db_path: Path, sender_id: str) -> int:
    """Delete one conversation from the embedded tracker store; return how many events went."""
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "events" not in tables:
            return 0
        return db.execute("DELETE FROM events WHERE sender_id = ?", (sender_id,)).rowcount


def purge_all(tracker_db: Path, gateway_db: Path, secret: str, older_than_days: int) -> tuple[int, int]:
    """Purge the tracker store and the SMS gateway's records; return (conversations, records)."""
    from bot.gateway_store import GatewayStore

    conversations = purge(tracker_db, older_than_days)
    if not gateway_db.exists():
        return conversations, 0
    store = GatewayStore(gateway_db, secret)
    try:
        return conversations, store.purge(older_than_days * 86400)
    finally:
        store.close()
