"""Help near me: the resources answers, and the lookup by ZIP code or neighborhood.

A request for legal help, support services or the rapid-response hotline is answered with
its content, then with the nearest groups when a place is known, or with an offer to give
one (always skippable: the Skip button lists groups for the whole county).
"""

from __future__ import annotations

import datetime as dt
import functools

from rasa_sdk.events import EventType, SlotSet

from actions.base import ContentAction, Turn, content_store, directory_stamp, retention_days, settings
from bot import directory
from bot.messages import BotMessage, Button, answer
from bot.referrals import referral
from bot.topics import topic_for

KIND_OF = {"find_legal_help": "legal_help", "find_support_services": "support_services", "find_rapid_response": "rapid_response"}
KIND_SLOT, ZIP_SLOT = "resource_kind", "location_zip"
SKIP_PAYLOAD = "/inform_location"


@functools.lru_cache(maxsize=4)
def _directory(stamp: tuple[tuple[str, float], ...]) -> directory.Directory:
    return directory.load_directory(settings().directory_dir)


def directory_data() -> directory.Directory:
    """The directory, read again when one of its files changed (editors need no restart)."""
    return _directory(directory_stamp())


def _location(turn: Turn, data: directory.Directory) -> directory.Location | None:
    if not turn.text.startswith("/"):
        found = directory.resolve_location(data, turn.text)
        if found is not None:
            return found
    remembered = turn.slots.get(ZIP_SLOT)
    return directory.resolve_location(data, remembered) if remembered and turn.intent in KIND_OF else None


def _with_skip(message: BotMessage, lang: str) -> BotMessage:
    message["buttons"] = [Button(title=content_store().get().label("resources.skip", lang), payload=SKIP_PAYLOAD)]
    return message


class ActionFindResources(ContentAction):
    """Answer find_* and inform_location: content, then nearby groups or the offer to look."""

    def name(self) -> str:
        return "action_find_resources"

    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        catalog = content_store().get()
        data = directory_data()
        kind = KIND_OF.get(turn.intent) or turn.slots.get(KIND_SLOT) or "legal_help"
        messages = []
        if turn.intent in KIND_OF:
            messages.append(answer(catalog, topic_for(turn.intent) or "conversation.menu", lang, turn.channel,
                                   {"retention_days": retention_days()}))
        location = _location(turn, data)
        if location is not None or turn.text == SKIP_PAYLOAD:
            lookup = directory.find(data, kind, lang, location, dt.datetime.now(dt.timezone.utc))
            messages.append(referral(catalog, lookup, lang, turn.channel))
        elif turn.intent in KIND_OF:
            messages.append(_with_skip(answer(catalog, "resources.ask_location", lang, turn.channel), lang))
        else:
            messages.append(_with_skip(answer(catalog, "resources.unknown_location", lang, turn.channel), lang))
        return messages

    def extra_events(self, turn: Turn, lang: str) -> list[EventType]:
        events: list[EventType] = super().extra_events(turn, lang)
        if turn.intent in KIND_OF:
            events.append(SlotSet(KIND_SLOT, KIND_OF[turn.intent]))
        location = None if turn.text.startswith("/") else directory.resolve_location(directory_data(), turn.text)
        if location is not None:
            events.append(SlotSet(ZIP_SLOT, location.zip))
        return events

