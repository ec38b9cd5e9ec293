"""Where Rasa keeps conversations and its locks, from the settings: the endpoints file.

The embedded default is SQLite in var/ and an in-memory lock store. With `KYR_DATABASE_URL`
(PostgreSQL) the trackers go to that database too, next to the reports; with `KYR_REDIS_URL`
the locks go to Redis, which several Rasa instances need so that one conversation is never
handled by two of them at once. The runner writes the file before it starts Rasa.

>>> from bot.settings import Settings
>>> s = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_DATABASE_URL": "postgresql://kyr:pw@db:5433/kyr311",
...                        "KYR_REDIS_URL": "redis://cache:6380/2"})
>>> e = endpoints(s)
>>> e["tracker_store"]["dialect"], e["tracker_store"]["url"], e["tracker_store"]["port"], e["tracker_store"]["db"]
('postgresql', 'db', 5433, 'kyr311')
>>> e["lock_store"]["type"], e["lock_store"]["url"], e["lock_store"]["port"], e["lock_store"]["db"]
('redis', 'cache', 6380, 2)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from bot.settings import Settings, SettingsError

__all__ = ["LOCK_KEY_PREFIX", "TRACKER_STORE", "LockReleaser", "endpoints", "write_endpoints"]

# Rasa's SQL tracker store with long sessions checkpointed (kyr311_store.py, importable from the project root).
TRACKER_STORE = "kyr311_store.CheckpointSQLTrackerStore"
LOCK_KEY_PREFIX = "kyr311"  # Rasa keeps a conversation's lock in Redis under "kyr311:lock:<conversation>"


def _tracker_store(settings: Settings) -> dict[str, Any]:
    if not settings.database_url:
        return {"type": TRACKER_STORE, "dialect": "sqlite", "db": str(settings.tracker_db)}
    url = urlsplit(settings.database_url)
    if not url.scheme.startswith("postgresql"):
        raise SettingsError(f"KYR_DATABASE_URL: Rasa's tracker store needs PostgreSQL here, got {url.scheme!r}")
    store: dict[str, Any] = {"type": TRACKER_STORE, "dialect": "postgresql", "url": url.hostname or "127.0.0.1",
                             "port": url.port or 5432, "db": url.path.lstrip("/") or "kyr311"}
    if url.username:
        store["username"] = unquote(url.username)
    if url.password:
        store["password"] = unquote(url.password)
    return store


def _lock_store(settings: Settings) -> dict[str, Any]:
    if not settings.redis_url:
        return {"type": "in_memory"}
    url = urlsplit(settings.redis_url)
    store: dict[str, Any] = {"type": "redis", "url": url.hostname or "127.0.0.1", "port": url.port or 6379,
                             "db": int(url.path.lstrip("/") or 0), "key_prefix": LOCK_KEY_PREFIX, "use_ssl": url.scheme == "rediss"}
    if url.password:
        store["password"] = unquote(url.password)
    return store


def endpoints(settings: Settings) -> dict[str, Any]:
    """Rasa's endpoints: the action server, the tracker store and the lock store."""
    return {"action_endpoint": {"url": f"{settings.actions_url}/webhook"},
            "tracker_store": _tracker_store(settings), "lock_store": _lock_store(settings)}


def write_endpoints(settings: Settings) -> Path:
    """Write var/endpoints.yml (readable by its owner only: it may hold a password)."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    path = settings.var_dir / "endpoints.yml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        yaml.safe_dump(endpoints(settings), handle, sort_keys=False)
    return path


class LockReleaser:
    """Frees a conversation's Rasa lock in Redis when the instance holding it was killed.

    Rasa queues a conversation's messages behind tickets in its lock; a killed instance
    leaves its ticket behind, and the instance taking the conversation over would wait for
    it to expire (TICKET_LOCK_LIFETIME) before answering. The gateway, which saw the
    instance die, drops the lock before it resends the message.
    """

    def __init__(self, redis_url: str) -> None:
        import redis  # Rasa's own dependency; needed only in scaled mode

        self._redis = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)

    def release(self, conversation: str) -> bool:
        """Delete the conversation's lock; False when there was none or Redis did not answer."""
        import redis

        try:
            return bool(self._redis.delete(f"{LOCK_KEY_PREFIX}:lock:{conversation}"))
        except redis.RedisError:
            return False  # the lock then expires by itself, a few seconds later
