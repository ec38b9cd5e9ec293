"""The SMS gateway's SQLite state: claims, opt-outs, held messages, pages, purging."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.gateway_store import GatewayStore
from bot.retention import purge_all

SECRET = "store-secret-" + "s" * 30


def test_a_message_sid_is_claimed_once_and_retries_learn_the_reply(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    key = store.key("SM123")
    assert store.claim(key).first and not store.claim(key).first
    assert store.claim(key).reply is None  # still processing
    store.finish(key, "<Response/>")
    assert store.claim(key).reply == "<Response/>" and store.wait_reply(key, 0.1) == "<Response/>"


def test_concurrent_claims_have_exactly_one_winner(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(store.claim("same").first)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


def test_opt_outs_survive_a_restart_and_a_purge(tmp_path: Path) -> None:
    GatewayStore(tmp_path / "g.db", SECRET).opt_out("conv-1")
    reopened = GatewayStore(tmp_path / "g.db", SECRET)
    assert reopened.opted_out("conv-1") and not reopened.opted_out("conv-2")
    reopened.purge(0, now=time.time() + 10)
    assert reopened.opted_out("conv-1")
    assert reopened.opt_in("conv-1") and not reopened.opted_out("conv-1") and not reopened.opt_in("conv-1")


def test_a_held_message_is_answered_by_exactly_one_taker(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    store.hold("k1", {"to": "+12135550147", "text": "hola"})
    takers: list[bool] = []
    threads = [threading.Thread(target=lambda: takers.append(store.take_held("k1"))) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert takers.count(True) == 1 and store.waiting() == []
    store.release_held("k1")
    [held] = store.waiting()
    assert held.payload == {"to": "+12135550147", "text": "hola"} and held.attempts == 1
    store.answered("k1")
    assert store.waiting() == []


def test_a_crashed_sender_s_messages_go_back_to_waiting(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    store.hold("k1", {"text": "x"})
    assert store.take_held("k1")
    assert GatewayStore(tmp_path / "g.db", SECRET).recover() == 1
    assert [h.message_key for h in store.waiting()] == ["k1"]


def test_numbers_and_texts_are_encrypted_at_rest(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    store.hold(store.key("SM1"), {"to": "+12135550147", "text": "my private question"})
    store.save_pages("conv", ["the rest of the answer"])
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("g.db*"))
    assert b"2135550147" not in raw and b"private question" not in raw and b"rest of the answer" not in raw
    assert b"SM1" not in raw
    assert GatewayStore(tmp_path / "g.db", "another-" + SECRET).waiting() == []  # unreadable under another key


def test_more_pages_come_one_at_a_time(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    store.save_pages("conv", ["two", "three"])
    assert [store.next_page("conv"), store.next_page("conv"), store.next_page("conv")] == ["two", "three", None]


def test_purge_all_removes_old_gateway_records(tmp_path: Path) -> None:
    store = GatewayStore(tmp_path / "g.db", SECRET)
    store.claim("old")
    store.set_lang("conv", "es")
    store.close()
    assert purge_all(tmp_path / "trackers.db", tmp_path / "g.db", SECRET, 0) == (0, 2)
    assert purge_all(tmp_path / "trackers.db", tmp_path / "missing.db", SECRET, 0) == (0, 0)
