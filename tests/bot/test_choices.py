"""Numbered choices kept in a shared store: every gateway process picks from what any of them offered."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.choices import Offers
from bot.gateway_store import GatewayStore

SECRET = "choices-secret-" + "c" * 30
MENU = ['/change_language{"language": "en"}', '/change_language{"language": "es"}']


@pytest.fixture
def two_stores(database_url: str) -> Iterator[tuple[GatewayStore, GatewayStore]]:
    first, second = GatewayStore(database_url, SECRET), GatewayStore(database_url, SECRET)
    yield first, second
    first.close()
    second.close()


def test_a_choice_offered_by_one_gateway_is_picked_on_another(two_stores: tuple[GatewayStore, GatewayStore]) -> None:
    here, there = Offers(store=two_stores[0]), Offers(store=two_stores[1])
    here.remember("c1", MENU)
    assert there.pick("c1", " 2 ") == MENU[1] and there.pick("c1", "٢") == MENU[1]
    assert there.pick("c1", "3") is None and there.pick("c2", "1") is None and there.pick("c1", "spanish") is None
    there.remember("c1", [])  # a message without buttons keeps the last offer
    assert here.pick("c1", "1") == MENU[0]
    there.forget("c1")
    assert here.pick("c1", "1") is None


def test_a_stored_offer_expires(two_stores: tuple[GatewayStore, GatewayStore]) -> None:
    offers = Offers(max_age_seconds=0.01, store=two_stores[0])
    offers.remember("c1", MENU)
    time.sleep(0.05)
    assert offers.pick("c1", "1") is None and Offers(store=two_stores[1]).pick("c1", "1") == MENU[0]


def test_without_a_store_offers_stay_in_this_process(two_stores: tuple[GatewayStore, GatewayStore]) -> None:
    Offers(store=two_stores[0]).remember("c1", MENU)
    in_memory = Offers()
    assert in_memory.pick("c1", "1") is None
    in_memory.remember("c1", MENU[:1])
    assert in_memory.pick("c1", "1") == MENU[0] and Offers(store=two_stores[1]).pick("c1", "2") == MENU[1]
