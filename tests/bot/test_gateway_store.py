"""The SMS gateway's state on SQLite and PostgreSQL: claims, opt-outs, held messages, pages, offers, purging.

Every test runs on a fresh SQLite file and, when KYR_TEST_DATABASE_URL names a server, on a
fresh PostgreSQL database (the `database_url` fixture). Two stores on one database stand for
two gateway processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.gateway_model import metadata
from bot.gateway_store import GatewayStore
from bot.retention import purge_all

SECRET = "store-secret-" + "s" * 30


@pytest.fixture
def stores(database_url: str) -> Iterator[Callable[..., GatewayStore]]:
    """Open stores on the test database (each like another gateway process); all closed afterwards."""
    opened: list[GatewayStore] = []

    def open_store(secret: str = SECRET) -> GatewayStore:
        opened.append(GatewayStore(database_url, secret))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once on threads; their results."""
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> None:
        start.wait()
        result = call()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _raw_rows(database_url: str) -> str:
    """Every value in every table of the gateway, as the database hands them back."""
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.connect() as conn:
            values = [value for table in metadata.sorted_tables for row in conn.execute(sa.select(table)) for value in row]
    finally:
        engine.dispose()
    return " ".join(bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v) for v in values)


def test_a_message_sid_is_claimed_once_and_retries_learn_the_reply(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    key = store.key("SM123")
    assert store.claim(key).first and not store.claim(key).first
    assert store.claim(key).reply is None  # still processing
    store.finish(key, "<Response/>")
    assert store.claim(key).reply == "<Response/>" and store.wait_reply(key, 0.1) == "<Response/>"


def test_concurrent_claims_have_exactly_one_winner(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    wins = _race(*[lambda: store.claim("same").first for _ in range(20)])
    assert wins.count(True) == 1


def test_two_gateways_race_for_a_claim_and_only_one_wins(stores: Callable[..., GatewayStore]) -> None:
    first, second = stores(), stores()
    wins = _race(*[lambda s=s: s.claim("same").first for s in (first, second) for _ in range(10)])
    assert wins.count(True) == 1
    first.finish("same", "<Response>once</Response>")
    assert second.claim("same") == first.claim("same") and second.wait_reply("same", 0.5) == "<Response>once</Response>"


def test_two_gateways_see_each_other_s_opt_outs_languages_and_offers(stores: Callable[..., GatewayStore]) -> None:
    first, second = stores(), stores()
    first.opt_out("conv-1")
    first.set_lang("conv-1", "es")
    first.remember_offer("conv-1", ["/a", "/b"])
    assert second.opted_out("conv-1") and second.lang("conv-1") == "es" and second.offer("conv-1", 60) == ("/a", "/b")
    second.set_lang("conv-1", "vi")
    second.remember_offer("conv-1", ["/c"])
    assert first.lang("conv-1") == "vi" and first.offer("conv-1", 60) == ("/c",)
    assert second.opt_in("conv-1") and not first.opted_out("conv-1")


def test_opt_outs_survive_a_restart_and_a_purge(stores: Callable[..., GatewayStore]) -> None:
    first = stores()
    first.opt_out("conv-1")
    first.opt_out("conv-1")  # saying STOP twice is harmless
    first.close()
    reopened = stores()
    assert reopened.opted_out("conv-1") and not reopened.opted_out("conv-2")
    reopened.purge(0, now=time.time() + 10)
    assert reopened.opted_out("conv-1")
    assert reopened.opt_in("conv-1") and not reopened.opted_out("conv-1") and not reopened.opt_in("conv-1")


def test_a_held_message_is_answered_by_exactly_one_taker(stores: Callable[..., GatewayStore]) -> None:
    store, other = stores(), stores()
    store.hold("k1", {"to": "+12135550147", "text": "hola"})
    takers = _race(*[lambda s=s: s.take_held("k1") for s in (store, other) for _ in range(5)])
    assert takers.count(True) == 1 and store.waiting() == [] and other.waiting() == []
    store.release_held("k1")
    [held] = other.waiting()
    assert held.payload == {"to": "+12135550147", "text": "hola"} and held.attempts == 1
    store.answered("k1")
    assert other.waiting() == []


def test_a_crashed_sender_s_messages_go_back_to_waiting(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    store.hold("k1", {"text": "x"})
    assert store.take_held("k1")
    assert stores().recover() == 1
    assert [h.message_key for h in store.waiting()] == ["k1"]


def test_waiting_gives_the_oldest_messages_old_enough(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    store.hold("k1", {"text": "first"})
    store.hold("k2", {"text": "second"})
    assert [h.message_key for h in store.waiting()] == ["k1", "k2"] and [h.message_key for h in store.waiting(limit=1)] == ["k1"]
    assert store.waiting(min_age=60) == []


def test_numbers_and_texts_are_encrypted_at_rest(database_url: str, stores: Callable[..., GatewayStore], tmp_path: Path) -> None:
    store = stores()
    first_sid, second_sid = "SM" + "5ea1ed0f" * 4, "SM" + "c0ffee42" * 4  # long enough not to turn up in a token by chance
    store.hold(store.key(first_sid), {"to": "+12135550147", "text": "my private question"})
    store.claim(store.key(second_sid))
    store.finish(store.key(second_sid), "<Message>your private answer</Message>")
    store.save_pages("conv", ["the rest of the answer"])
    store.remember_offer("conv", ["/inform{\"phone\": \"2135550147\"}"])
    store.close()
    raw = _raw_rows(database_url)
    if database_url.startswith("sqlite"):
        raw += b"".join(p.read_bytes() for p in tmp_path.glob("*.db*")).decode("latin-1")
    for secret in ("2135550147", "private question", "private answer", "rest of the answer", first_sid, second_sid):
        assert secret not in raw
    assert stores("another-" + SECRET).waiting() == []  # unreadable under another key


def test_more_pages_come_one_at_a_time(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    store.save_pages("conv", ["two", "three"])
    assert [store.next_page("conv"), store.next_page("conv"), store.next_page("conv")] == ["two", "three", None]
    store.save_pages("conv", ["four"])
    store.save_pages("conv", [])
    assert store.next_page("conv") is None


def test_concurrent_mores_never_get_the_same_page(stores: Callable[..., GatewayStore]) -> None:
    first, second = stores(), stores()
    pages = [f"page {n}" for n in range(24)]
    first.save_pages("conv", pages)

    def drain(store: GatewayStore) -> list[str]:
        got = []
        while (page := store.next_page("conv")) is not None:
            got.append(page)
        return got

    results = _race(*[lambda s=s: drain(s) for s in (first, second) for _ in range(4)])
    given = [page for got in results for page in got]
    assert sorted(given) == sorted(pages)


def test_offers_expire_by_age(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    store.remember_offer("conv", ["/a", "/b"])
    time.sleep(0.05)
    assert store.offer("conv", 0.01) is None and store.offer("conv", 60) == ("/a", "/b") and store.offer("other", 60) is None


def test_forget_removes_a_conversation_s_offers_pages_language_and_held_messages(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    for conversation in ("mine", "theirs"):
        store.remember_offer(conversation, ["/a"])
        store.save_pages(conversation, ["more"])
        store.set_lang(conversation, "es")
        store.hold(f"sid-{conversation}", {"conversation": conversation, "text": "hola"})
    store.opt_out("mine")
    assert store.forget("mine") == 4
    assert store.offer("mine", 60) is None and store.next_page("mine") is None and store.lang("mine") is None
    assert [h.message_key for h in store.waiting()] == ["sid-theirs"] and store.opted_out("mine")
    assert store.offer("theirs", 60) == ("/a",) and store.lang("theirs") == "es"
    store.forget_offer("theirs")
    assert store.offer("theirs", 60) is None


def test_purge_removes_old_offers_and_records_but_not_held_messages(stores: Callable[..., GatewayStore]) -> None:
    store = stores()
    store.claim("old")
    store.set_lang("conv", "es")
    store.save_pages("conv", ["more"])
    store.remember_offer("conv", ["/a"])
    store.hold("k1", {"text": "owed an answer"})
    assert store.purge(3600) == 0 and store.offer("conv", 60) == ("/a",)
    assert store.purge(0, now=time.time() + 10) == 4
    assert store.offer("conv", 3600) is None and store.claim("old").first and [h.message_key for h in store.waiting()] == ["k1"]


def test_purge_all_removes_old_gateway_records(database_url: str, stores: Callable[..., GatewayStore], tmp_path: Path) -> None:
    store = stores()
    store.claim("old")
    store.set_lang("conv", "es")
    store.close()
    time.sleep(0.01)
    assert purge_all(tmp_path / "trackers.db", database_url, SECRET, 0) == (0, 2)
    assert purge_all(tmp_path / "trackers.db", f"sqlite:///{tmp_path / 'missing.db'}", SECRET, 0) == (0, 0)
    assert not (tmp_path / "missing.db").exists()
