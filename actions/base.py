"""What every answering action shares: the content store, the reply language, the payload.

Only abstract classes live here: the SDK registers every concrete Action it imports.
"""

from __future__ import annotations

import abc
import functools
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import languages
from bot.content_store import ContentStore
from bot.messages import BotMessage
from bot.settings import Settings

log = logging.getLogger(__name__)

LANG_SLOT = "lang"
CHOSEN_SLOT = "lang_chosen"
FALLBACK_SLOT = "fallback_count"


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read on first use (never at import)."""
    return Settings.from_env(demo=True)


@functools.lru_cache(maxsize=1)
def content_store() -> ContentStore:
    """The process's content store, created on first use."""
    return ContentStore(settings().locales_dir, settings().directory_dir)


def directory_stamp() -> tuple[tuple[str, float], ...]:
    """The names and change times of the directory's files: a cache key that changes on an edit."""
    return tuple((p.name, p.stat().st_mtime) for p in sorted(settings().directory_dir.glob("*.yml")))


def retention_days() -> int:
    """The retention period the privacy answer states."""
    return settings().retention_days


class Turn:
    """What an action needs to know about the message it answers."""

    def __init__(self, tracker: Tracker) -> None:
        message: dict[str, Any] = tracker.latest_message or {}
        metadata = message.get("metadata") or {}
        self.text: str = message.get("text") or ""
        self.intent: str = (message.get("intent") or {}).get("name") or ""
        self.channel: str = "sms" if metadata.get("channel") == "sms" else "web"
        self.explicit_lang: str | None = metadata.get("lang") if isinstance(metadata.get("lang"), str) else None
        self.entities: list[dict[str, Any]] = list(message.get("entities") or [])
        self.current_lang: str | None = tracker.get_slot(LANG_SLOT)
        self.lang_chosen: bool = bool(tracker.get_slot(CHOSEN_SLOT))
        self.fallbacks: float = tracker.get_slot(FALLBACK_SLOT) or 0.0
        self.media: tuple[str, ...] = tuple(u for u in metadata.get("media") or () if isinstance(u, str))
        sealed = metadata.get("sealed_phones")
        self.sealed_phones: str | None = sealed if isinstance(sealed, str) else None
        self.slots: dict[str, Any] = dict(tracker.slots)
        self.sender: str = tracker.sender_id  # already a keyed hash (bot.privacy)

    def entity(self, name: str) -> str | None:
        """The first value of entity `name` in the message."""
        for entity in self.entities:
            if entity.get("entity") == name and isinstance(entity.get("value"), str):
                return str(entity["value"])
        return None


class ContentAction(Action, abc.ABC):
    """An action that answers from the content, in the conversation's language."""

    def reply_language(self, turn: Turn, served: list[str]) -> languages.Choice:
        """The language to answer this turn in (explicit choice, else sticky detection)."""
        return languages.choose(turn.text, turn.current_lang, served, turn.explicit_lang, settings().nlu_dir, turn.lang_chosen)

    @abc.abstractmethod
    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        """The bubbles to send, in order."""

    def extra_events(self, turn: Turn, lang: str) -> list[EventType]:
        """Slot changes besides the language; by default the fallback counter is reset."""
        return [SlotSet(FALLBACK_SLOT, 0.0)] if turn.fallbacks else []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        # An exception must not reach the SDK's handler: it echoes the request (the tracker,
        # with the resident's messages) in its error body, which Rasa then logs. With no
        # messages, the gateway gives the resident its fallback with the hotline instead.
        try:
            return self._answer(dispatcher, tracker)
        except Exception as exc:
            log.error("%s failed: %s", self.name(), type(exc).__name__)
            return []

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        turn = Turn(tracker)
        catalog = content_store().get()
        choice = self.reply_language(turn, sorted(catalog.locales))
        lang = choice.lang
        for message in self.messages(turn, lang):
            dispatcher.utter_message(json_message=dict(message))
        events: list[EventType] = [SlotSet(LANG_SLOT, lang)] if lang != turn.current_lang else []
        if choice.reason in ("explicit", "named") and not turn.lang_chosen:
            events.append(SlotSet(CHOSEN_SLOT, True))
        return events + self.extra_events(turn, lang)
