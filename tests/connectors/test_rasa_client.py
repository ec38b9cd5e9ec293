"""Spreading conversations over several Rasa instances, and failing over without a second answer."""

from __future__ import annotations

import pytest

from connectors.rasa_client import RasaClient, RasaUnavailable
from tests.conftest import FakeRasa


@pytest.fixture
def two() -> list[FakeRasa]:
    fakes = [FakeRasa(), FakeRasa()]
    yield fakes
    for fake in fakes:
        fake.close()


def test_each_conversation_keeps_one_instance_and_conversations_spread(two: list[FakeRasa]) -> None:
    client = RasaClient([f.url for f in two], two[0].url, timeout=2)
    firsts = {client.order(f"conversation-{n}")[0] for n in range(200)}
    assert firsts == {two[0].url, two[1].url}
    assert all(client.order("abc") == client.order("abc") for _ in range(5))
    for _ in range(3):
        client.send("abc", "hi", {})
    mine = next(f for f in two if f.url == client.order("abc")[0])
    assert len(mine.requests) == 3 and sum(len(f.requests) for f in two) == 3


def test_a_dead_instance_is_skipped_and_the_other_answers_once(two: list[FakeRasa]) -> None:
    client = RasaClient([f.url for f in two], two[0].url, timeout=2)
    sender = "conversation-x"
    preferred = next(f for f in two if f.url == client.order(sender)[0])
    other = next(f for f in two if f is not preferred)
    preferred.close()  # refused from now on
    assert client.send(sender, "hello", {})[0]["custom"]["text"] == "hi"
    assert len(other.requests) == 1
    assert client.order(sender)[0] == other.url  # marked down: not tried first for a while
    client.send(sender, "again", {})
    assert len(other.requests) == 2


def test_a_slow_instance_is_not_retried_elsewhere(two: list[FakeRasa]) -> None:
    client = RasaClient([f.url for f in two], two[0].url, timeout=0.3)
    sender = "conversation-y"
    preferred = next(f for f in two if f.url == client.order(sender)[0])
    other = next(f for f in two if f is not preferred)
    preferred.delay = 1.0
    with pytest.raises(RasaUnavailable):
        client.send(sender, "hello", {})
    assert other.requests == []  # the first may still answer: a second instance must not answer too


def test_all_instances_down_is_one_clear_failure_and_health_says_so(two: list[FakeRasa]) -> None:
    client = RasaClient([f.url for f in two], two[0].url, timeout=1)
    assert client.health() == {"rasa": True, "actions": True}
    two[0].close()
    assert client.health()["rasa"] is True
    two[1].close()
    with pytest.raises(RasaUnavailable, match="no Rasa instance"):
        client.send("z", "hello", {})
    assert client.health() == {"rasa": False, "actions": False}


def test_a_dead_instance_has_its_conversation_released_before_the_next_one_answers(two: list[FakeRasa]) -> None:
    released: list[tuple[str, int]] = []
    client = RasaClient([f.url for f in two], two[0].url, timeout=2,
                        on_dead=lambda sender: released.append((sender, sum(len(f.requests) for f in two))))
    sender = "conversation-r"
    preferred = next(f for f in two if f.url == client.order(sender)[0])
    client.send(sender, "first", {})
    assert released == []  # alive: nothing to release
    preferred.close()
    client.send(sender, "second", {})
    assert released == [(sender, 1)]  # released before the other instance got the message


def test_a_slow_instance_keeps_its_conversation_locked(two: list[FakeRasa]) -> None:
    released: list[str] = []
    client = RasaClient([f.url for f in two], two[0].url, timeout=0.3, on_dead=released.append)
    sender = "conversation-s"
    next(f for f in two if f.url == client.order(sender)[0]).delay = 1.0
    with pytest.raises(RasaUnavailable):
        client.send(sender, "hello", {})
    assert released == []
