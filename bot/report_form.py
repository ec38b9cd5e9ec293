"""The report form's logic: what a resident's message means at each step, and the report it makes.

The form asks, in order: what is happening, where (matched to City places, then confirmed),
when, details, a photo, whether the liaison may make contact (and only then how), and a
final check. `read` turns one message into slot values for the step being asked; it returns
None when the message is not an answer but another question, so the dialogue answers that
question and comes back to the step. Never a name, an immigration status or a birthplace:
there is no step for them.

>>> read("report_when", Message("now", intent="out_of_scope"), Words(now=frozenset({"now"})), None)
{'report_when': 'now'}
>>> read("report_details", Message("do I have to open the door?", intent="rights_home_visit"), Words(), None)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.choices import fold
from bot.reports import NewReport

__all__ = [
    "CHANGEABLE", "FIRST_SLOTS", "PHONE_MARK", "QUESTIONS", "SEALED_SLOT", "SLOTS", "Message", "Words", "fill_phones", "new_report",
    "read", "required", "summary_fields",
]

SLOTS = ("report_what", "report_where", "report_place_ok", "report_when", "report_details", "report_photo",
         "report_contact_ok", "report_contact", "report_confirm")
# Filled along the way by `read`, never asked for.
PLACE_SLOTS = ("report_department", "report_facility", "report_owner")
# A phone number typed by SMS reaches Rasa as [phone]; the number itself travels sealed here.
SEALED_SLOT = "report_contact_sealed"
FIRST_SLOTS = (*SLOTS, *PLACE_SLOTS, SEALED_SLOT)
PHONE_MARK = "[phone]"
NOW = "now"
SKIPPED = ""
SEND, CANCEL = "send", "cancel"
# Which slots a "change" button clears, so the form asks them again.
CHANGEABLE: Mapping[str, tuple[str, ...]] = {
    "what": ("report_what",),
    "where": ("report_where", "report_place_ok", *PLACE_SLOTS),
    "when": ("report_when",),
}
# Intents that are questions of their own: at a free-text step they interrupt the form.
QUESTIONS = frozenset({
    "rights_home_visit", "rights_warrant", "rights_remain_silent", "rights_stopped_public", "rights_workplace",
    "rights_detained", "rights_record_agents", "rights_city_services", "rights_local_police", "rights_city_policy",
    "rights_sensitive_places", "family_preparedness", "find_legal_help", "find_rapid_response", "find_support_services",
    "emergency_now", "ask_privacy", "change_language", "talk_to_human", "help_menu", "bot_challenge",
})
# About the assistant itself, or leaving: these interrupt any step.
ABOUT_US = frozenset({"change_language", "help_menu", "talk_to_human", "ask_privacy", "bot_challenge", "goodbye"})
QUESTION_MARKS = ("?", "？", "؟", "՞")
MAX_TEXT = 1000
_URL = re.compile(r"https://[^\s<>\"]+")


@dataclass(frozen=True)
class Message:
    """One resident message as the form sees it (the text may be a button's payload)."""

    text: str
    intent: str = ""
    entities: Mapping[str, str] = field(default_factory=dict)
    media: tuple[str, ...] = ()


@dataclass(frozen=True)
class Words:
    """The whole-message keywords of every locale for 'skip' and 'now' (already folded)."""

    skip: frozenset[str] = frozenset()
    now: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Place:
    """Where a report goes: a department (City property), or none with the place's owner."""

    department: str | None
    facility: str | None
    owner: str  # "city", "county", "federal", "private" or "unknown"


PlaceMatcher = Callable[[str], "Place | None"]


def _payload(message: Message) -> bool:
    return message.text.startswith("/")


def _question(message: Message) -> bool:
    """Another question rather than an answer. A description of enforcement ("they are arresting
    people") looks like a rights or emergency question to the classifier, so only a message
    asked as a question (or one about the assistant) counts."""
    if message.intent in ABOUT_US:
        return True
    return message.intent in QUESTIONS and any(mark in message.text for mark in QUESTION_MARKS)


def _contact_like(text: str) -> bool:
    """An e-mail address or a phone number (typed, or [phone] after the SMS gateway's redaction)."""
    return PHONE_MARK in text or "@" in text or sum(c.isdigit() for c in text) >= 7


def _clip(text: str) -> str:
    return text.strip()[:MAX_TEXT]


def read(slot: str, message: Message, words: Words, match: PlaceMatcher | None) -> dict[str, Any] | None:
    """The slot values `message` gives at step `slot`; None when it is not an answer to it."""
    folded = fold(message.text)
    button = message.entities.get("report_skip") if _payload(message) else None  # the Skip and Now buttons
    skip = folded in words.skip or button in ("yes", NOW)
    if slot == "report_where":
        place = match(message.text) if match and not _payload(message) else None
        if place is None and (_question(message) or _payload(message) or not message.text.strip()):
            return None
        place = place or Place(None, None, "unknown")
        return {"report_where": _clip(message.text), "report_department": place.department,
                "report_facility": place.facility, "report_owner": place.owner,
                "report_place_ok": None if place.department else False}
    if slot in ("report_place_ok", "report_contact_ok"):
        return _yes_no(slot, message, skip)
    if slot == "report_confirm":
        return _confirm(message)
    if slot == "report_photo":
        urls = list(message.media) or _URL.findall(message.text)
        if urls:
            return {"report_photo": " ".join(urls[:5])}
        if skip or not _question(message):
            return {"report_photo": SKIPPED}
        return None
    if slot == "report_contact" and not _payload(message) and _contact_like(message.text):
        return {slot: _clip(message.text)}  # "call me at [phone]" is an answer, not a request for a person
    if _question(message) or (_payload(message) and not skip):
        return None
    if slot == "report_when":
        return {"report_when": NOW if skip or folded in words.now else _clip(message.text)}  # skipped: now
    if slot in ("report_details", "report_contact"):
        return {slot: SKIPPED if skip else _clip(message.text)}
    if slot == "report_what":
        return {"report_what": _clip(message.text)} if message.text.strip() and not skip else None
    return None


def _yes_no(slot: str, message: Message, skip: bool) -> dict[str, Any] | None:
    if message.intent == "affirm":
        return {slot: True}
    if message.intent == "deny" or skip:
        if slot == "report_place_ok":  # not that place: ask where again
            return dict.fromkeys(CHANGEABLE["where"])
        return {slot: False, "report_contact": SKIPPED}
    return None


def _confirm(message: Message) -> dict[str, Any] | None:
    change = message.entities.get("report_change") or ""
    if change in CHANGEABLE:
        return {**dict.fromkeys(CHANGEABLE[change]), "report_confirm": None}
    if message.intent == "affirm":
        return {"report_confirm": SEND}
    if message.intent == "deny":
        return {"report_confirm": CANCEL}
    return None


def required(slots: Mapping[str, Any]) -> list[str]:
    """The steps still to ask, in order, given what is known."""
    steps = list(SLOTS)
    if slots.get("report_where") and not slots.get("report_department"):
        steps.remove("report_place_ok")  # nothing to confirm: not City property, or not recognized
    if slots.get("report_contact_ok") is False:
        steps.remove("report_contact")
    return [s for s in steps if slots.get(s) is None]


def summary_fields(slots: Mapping[str, Any], place_name: str) -> list[tuple[str, str]]:
    """(label key, value) pairs of the final check, in order; empty answers are shown as none."""
    return [
        ("reports.field_what", slots.get("report_what") or ""),
        ("reports.field_where", place_name or slots.get("report_where") or ""),
        ("reports.field_when", slots.get("report_when") or NOW),
        ("reports.field_details", slots.get("report_details") or ""),
        ("reports.field_photo", slots.get("report_photo") or ""),
        ("reports.field_contact", slots.get("report_contact") or ""),
    ]


def fill_phones(contact: str, numbers: list[str] | None) -> str:
    """Put the sealed numbers back where the gateway wrote [phone], in order.

    >>> fill_phones("text me at [phone] or [phone]", ["213-555-0100", "310-555-0199"])
    'text me at 213-555-0100 or 310-555-0199'
    """
    for number in numbers or ():
        contact = contact.replace(PHONE_MARK, number, 1)
    return contact


def new_report(slots: Mapping[str, Any], lang: str, channel: str, now: datetime) -> NewReport:
    """The report the resident confirmed. The time they gave, unless 'now', goes into the details."""
    when = slots.get("report_when") or NOW
    details = slots.get("report_details") or ""
    if when != NOW:
        details = f"[{when}] {details}".strip()
    photos = tuple(u for u in (slots.get("report_photo") or "").split() if u.startswith("https://"))
    return NewReport(
        kind="enforcement", what=slots["report_what"], where=slots["report_where"],
        department=slots.get("report_department"), facility=slots.get("report_facility"),
        occurred_at=now, details=details, photo_urls=photos,
        contact=(slots.get("report_contact") or None) if slots.get("report_contact_ok") else None,
        lang=lang, channel=channel,
    )
