"""Freeing a killed Rasa instance's conversation lock, against a real Redis and Rasa's own lock store."""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

import pytest

from bot.stores import LOCK_KEY_PREFIX, LockReleaser

URL = os.environ.get("KYR_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="set KYR_TEST_REDIS_URL to a Redis server (make test does)")


def rasa_lock_store() -> object:
    from rasa.core.lock_store import RedisLockStore

    url = urlsplit(URL)
    return RedisLockStore(host=url.hostname, port=url.port, db=int(url.path.lstrip("/") or 0), key_prefix=LOCK_KEY_PREFIX)


def test_a_dead_instances_ticket_is_dropped_so_the_next_instance_does_not_wait() -> None:
    conversation = "c-" + secrets.token_hex(8)
    dead = rasa_lock_store()
    dead.issue_ticket(conversation, lock_lifetime=60)  # type: ignore[attr-defined]  # the killed instance's ticket
    survivor = rasa_lock_store()
    waiting = survivor.issue_ticket(conversation, lock_lifetime=60)  # type: ignore[attr-defined]
    assert survivor.get_lock(conversation).is_locked(waiting)  # type: ignore[attr-defined]  # would wait 60 s
    assert LockReleaser(URL).release(conversation) is True
    assert survivor.get_lock(conversation) is None  # type: ignore[attr-defined]
    ticket = survivor.issue_ticket(conversation, lock_lifetime=60)  # type: ignore[attr-defined]
    assert not survivor.get_lock(conversation).is_locked(ticket)  # type: ignore[attr-defined]  # goes at once
    assert LockReleaser(URL).release("c-none-" + secrets.token_hex(4)) is False


def test_an_unreachable_redis_is_not_an_error() -> None:
    assert LockReleaser("redis://127.0.0.1:1/0").release("c-x") is False
