"""The tracker store that checkpoints long sessions, on SQLite and PostgreSQL (make test starts one)."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import Settings
from bot.stores import endpoints
from kyr311_store import CheckpointSQLTrackerStore

ROOT = Path(__file__).resolve().parent.parent
with warnings.catch_warnings():  # Rasa 3.6 warns that slots no longer auto-fill, which ours do not rely on
    warnings.simplefilter("ignore", UserWarning)
    DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def make_store(database_url: str, tmp_path: Path, max_events: int = 20) -> CheckpointSQLTrackerStore:
    env = {"KYR_SECRET_KEY": "k" * 32, "KYR_VAR_DIR": str(tmp_path)}
    if database_url.startswith("postgresql"):
        env["KYR_DATABASE_URL"] = database_url
    config: dict[str, Any] = dict(endpoints(Settings.from_env(env))["tracker_store"])
    config.pop("type")
    return CheckpointSQLTrackerStore(DOMAIN, max_session_events=max_events, host=config.pop("url", None), **config)


def turn(tracker: DialogueStateTracker, n: int) -> None:
    """One turn as Rasa records it: the message, the answer, a slot, back to listening."""
    tracker.update(UserUttered(f"mensaje {n}", {"name": "rights_home_visit", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_answer"))
    tracker.update(BotUttered(f"respuesta {n}"))
    tracker.update(SlotSet("fallback_count", 0.0))
    tracker.update(ActionExecuted("action_listen"))


def test_a_long_session_loads_only_since_its_last_checkpoint_and_keeps_its_state(database_url: str, tmp_path: Path) -> None:
    store = make_store(database_url, tmp_path)
    sender = "conversation-long"
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_session_start"), SessionStarted(),
                                                        SlotSet("lang", "es"), SlotSet("lang_chosen", True),
                                                        ActionExecuted("action_listen")], DOMAIN.slots)
    loaded: list[int] = []
    for n in range(60):
        turn(tracker, n)
        if n == 3:  # a form opens and stays open
            tracker.update(ActiveLoop("report_form"))
            tracker.update(SlotSet("requested_slot", "report_where"))
            tracker.update(ActionExecuted("action_listen"))
        asyncio.run(store.save(tracker))
        tracker = asyncio.run(store.retrieve(sender))
        loaded.append(len(tracker.events))
    assert max(loaded) <= 20 + 5 + 3  # the limit, one more turn, the form's events
    assert loaded[-1] < loaded[2] + 12  # 60 turns in, a turn costs what it did at the start
    assert tracker.get_slot("lang") == "es" and tracker.get_slot("lang_chosen") is True
    assert tracker.active_loop_name == "report_form" and tracker.get_slot("requested_slot") == "report_where"
    assert tracker.latest_action_name == "action_listen"
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-1] == "mensaje 59"
    full = asyncio.run(store.retrieve_full_tracker(sender))
    assert sum(isinstance(e, UserUttered) for e in full.events) == 60  # nothing is lost, only not reloaded


def test_a_short_session_is_stored_exactly_as_rasa_stores_it(database_url: str, tmp_path: Path) -> None:
    store = make_store(database_url, tmp_path)
    tracker = DialogueStateTracker.from_events("conversation-short", [ActionExecuted("action_session_start"), SessionStarted(),
                                                                     ActionExecuted("action_listen")], DOMAIN.slots)
    expected = []
    for n in range(3):  # as Rasa does: load, add a turn, save
        turn(tracker, n)
        asyncio.run(store.save(tracker))
        expected = [e.as_dict() for e in tracker.events if e.as_dict().get("name") != "action_session_start"]
        tracker = asyncio.run(store.retrieve("conversation-short"))
    again = asyncio.run(store.retrieve("conversation-short"))
    assert [e.as_dict() for e in again.events] == expected  # loaded from its session_started event on
    assert sum(isinstance(e, SessionStarted) for e in again.events) == 1
