"""Our Rasa tracker store: Rasa's SQL store, with long sessions cut short at a checkpoint.

Rasa rebuilds a conversation from every event of its current session for each message, and
its policies walk them all again, so the cost of a turn grows with the session: a resident
texting for an hour would wait longer and longer. When a session passes `max_session_events`
events, this store writes a checkpoint at the end of a turn: a `session_started` event and
the state the conversation is in (every slot that is set, the open form), exactly what
Rasa writes when a session expires and carries its slots over (plus the open form). Rasa's
own query then loads the session from that checkpoint on, so every turn costs about the same
however long the conversation (make bench). The events before it stay until retention
removes the conversation.

`bot/stores.py` names this class in the endpoints it writes, with SQLite or PostgreSQL.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from bot.database import open_engine

__all__ = ["CheckpointSQLTrackerStore", "checkpoint_events"]

MAX_SESSION_EVENTS = 60  # about eight turns


def checkpoint_events(tracker: DialogueStateTracker, domain: Domain) -> list[Event]:
    """The events that start a session in the state `tracker` is in now."""
    now = max(time.time(), tracker.events[-1].timestamp if tracker.events else 0.0) + 0.001
    events: list[Event] = [SessionStarted(timestamp=now)]
    for slot in domain.slots:
        value = tracker.get_slot(slot.name)
        if value != slot.initial_value:
            events.append(SlotSet(slot.name, value, timestamp=now))
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name, timestamp=now))
    events.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=now))
    return events


class CheckpointSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that starts a long session afresh, carrying its state over."""

    def __init__(self, domain: Domain | None = None, max_session_events: int = MAX_SESSION_EVENTS, **kwargs: Any) -> None:
        super().__init__(domain, **kwargs)
        self.max_session_events = int(max_session_events)
        if self.engine.dialect.name == "sqlite":
            # The embedded default. Rasa opens a new SQLite connection for every read and write
            # (SQLAlchemy's default for files); keep them open instead, with a write-ahead log
            # synced at checkpoints rather than at every turn's commit (a crashed process loses
            # nothing; a power cut may lose the last turns).
            url = str(self.engine.url)
            self.engine.dispose()
            self.engine = open_engine(url, keep_open=True)
            self.sessionmaker = sessionmaker(bind=self.engine)
        # Rasa finds a session's start by (sender_id, type_name, timestamp); it indexes only sender_id.
        try:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(
                    "CREATE INDEX IF NOT EXISTS kyr311_events_session ON events (sender_id, type_name, timestamp)")
        except sa.exc.DBAPIError:  # another instance created it at the same moment (PostgreSQL may say so)
            pass

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if len(tracker.events) <= self.max_session_events or tracker.latest_action_name != ACTION_LISTEN_NAME:
            return
        # Saved through Rasa's own save, which appends the events the database lacks.
        extended = DialogueStateTracker.from_events(
            tracker.sender_id, [*tracker.events, *checkpoint_events(tracker, self.domain)], self.domain.slots)
        await super().save(extended)
