"""The report form: its questions, reading each answer, and saving the confirmed report.

The logic of each step is in `bot.report_form`; the places in `bot.places`; storage and
delivery in `bot.reports` and `bot.delivery`. These classes connect them to Rasa.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import logging
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from actions.base import LANG_SLOT, ContentAction, Turn, content_store, directory_stamp, settings
from bot import places, privacy, report_form
from bot.delivery import load_delivery_config
from bot.messages import BotMessage, Button, answer
from bot.ratelimit import RateLimiter, ReportLimiter
from bot.ratelimit_redis import RedisRateLimiter
from bot.reports import NewReport, Report, ReportError, ReportStore

log = logging.getLogger(__name__)

YES, NO = "/affirm", "/deny"
SKIP = '/deny{"report_skip": "yes"}'
NOW = '/affirm{"report_skip": "now"}'
SAVE_ATTEMPTS, SAVE_PAUSE_SECONDS = 4, 1.5


@functools.lru_cache(maxsize=2)
def _places(stamp: tuple[tuple[str, float], ...]) -> places.Places:
    return places.load_places(settings().directory_dir)


def place_data() -> places.Places:
    """The City's places and departments, read again when a directory file changed."""
    return _places(directory_stamp())


@functools.lru_cache(maxsize=1)
def report_store() -> ReportStore:
    return ReportStore(settings().reports_url, settings().secret_key)


@functools.lru_cache(maxsize=1)
def sink_names() -> tuple[str, ...]:
    """The configured delivery sinks each report is queued for (none without a config file)."""
    path = settings().delivery_config
    return tuple(sink.name for sink in load_delivery_config(path)[0]) if path else ()


@functools.lru_cache(maxsize=1)
def rate_limiter() -> ReportLimiter:
    """Report limits: in Redis when it is configured (shared by every action server), else in memory."""
    if settings().redis_url:
        import redis

        return RedisRateLimiter(redis.Redis.from_url(settings().redis_url, socket_timeout=2))
    return RateLimiter()


def _allowed(sender: str) -> bool:
    """The rate limits' answer; a report is taken when Redis cannot be asked (better one too many)."""
    try:
        return rate_limiter().allow(sender).allowed
    except RedisError as exc:
        log.warning("report rate limit unavailable (%s): report taken", type(exc).__name__)
        return True


def matcher(lang: str) -> report_form.PlaceMatcher:
    def match(text: str) -> report_form.Place | None:
        found = places.match_place(place_data(), text, lang)
        if not found:
            return None
        best = found[0]
        return report_form.Place(best.department if best.city_property else None, best.facility, best.owner)
    return match


def place_name(slots: dict[str, Any]) -> str:
    data = place_data()
    facility = data.facilities.get(slots.get("report_facility") or "")
    return facility.name if facility else str(slots.get("report_where") or "")


def department_name(key: str | None) -> str:
    department = place_data().departments.get(key or "")
    return department.name if department else ""


def _message(tracker: Tracker) -> report_form.Message:
    turn = Turn(tracker)
    entities = {e["entity"]: str(e.get("value")) for e in turn.entities if isinstance(e.get("entity"), str)}
    return report_form.Message(turn.text, turn.intent, entities, turn.media)


class ValidateReportForm(FormValidationAction):
    """Reads the answer to the step being asked; no slot set means another question came in."""

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        return [s for s in domain_slots if s in report_form.required(tracker.slots)]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        lang = tracker.get_slot(LANG_SLOT) or "en"
        events: list[EventType] = []
        if requested in report_form.SLOTS:
            catalog = content_store().get()
            words = report_form.Words(catalog.keywords("keywords.skip"), catalog.keywords("keywords.now"))
            values = report_form.read(requested, _message(tracker), words, matcher(lang))
            events = [SlotSet(k, v) for k, v in (values or {}).items()]
            sealed = Turn(tracker).sealed_phones
            if requested == "report_contact" and values and report_form.PHONE_MARK in (values["report_contact"] or "") and sealed:
                events.append(SlotSet(report_form.SEALED_SLOT, sealed))
            if values and requested == "report_where" and not values.get("report_department"):
                key = "reports.county" if values.get("report_owner") == "county" else "reports.not_city"
                dispatcher.utter_message(json_message=dict(answer(catalog, key, lang, Turn(tracker).channel)))
        tracker.add_slots(events)
        missing = report_form.required(tracker.slots)
        return [*events, SlotSet("requested_slot", missing[0] if missing else None)] if events else []


class AskReport(ContentAction, abc.ABC):
    """Ask one step of the report form."""

    key: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label key, payload)

    @abc.abstractmethod
    def name(self) -> str:
        """action_ask_<slot>: the form calls it to ask that step."""

    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        catalog = content_store().get()
        message = answer(catalog, self.key, lang, turn.channel, self.extra(turn, lang))
        message["buttons"] = [Button(title=catalog.label(label, lang), payload=payload) for label, payload in self.buttons]
        return [message]

    def extra(self, turn: Turn, lang: str) -> dict[str, object]:
        return {}


class AskWhat(AskReport):
    key = "reports.ask_what"

    def name(self) -> str:
        return "action_ask_report_what"


class AskWhere(AskReport):
    key = "reports.ask_where"

    def name(self) -> str:
        return "action_ask_report_where"


class AskPlaceOk(AskReport):
    key = "reports.confirm_place"
    buttons = (("reports.yes", YES), ("reports.no", NO))

    def name(self) -> str:
        return "action_ask_report_place_ok"

    def extra(self, turn: Turn, lang: str) -> dict[str, object]:
        return {"place": place_name(turn.slots), "department": department_name(turn.slots.get("report_department"))}


class AskWhen(AskReport):
    key = "reports.ask_when"
    buttons = (("reports.now", NOW),)

    def name(self) -> str:
        return "action_ask_report_when"


class AskDetails(AskReport):
    key = "reports.ask_details"
    buttons = (("reports.skip", SKIP),)

    def name(self) -> str:
        return "action_ask_report_details"


class AskPhoto(AskReport):
    key = "reports.ask_photo"
    buttons = (("reports.skip", SKIP),)

    def name(self) -> str:
        return "action_ask_report_photo"


class AskContactOk(AskReport):
    key = "reports.ask_contact_ok"
    buttons = (("reports.yes", YES), ("reports.no", NO))

    def name(self) -> str:
        return "action_ask_report_contact_ok"


class AskContact(AskReport):
    key = "reports.ask_contact"
    buttons = (("reports.skip", SKIP),)

    def name(self) -> str:
        return "action_ask_report_contact"


class AskConfirm(AskReport):
    key = "reports.summary"
    buttons = (("reports.send", YES), ("reports.change_what", '/deny{"report_change": "what"}'),
               ("reports.change_where", '/deny{"report_change": "where"}'),
               ("reports.change_when", '/deny{"report_change": "when"}'), ("reports.cancel", NO))

    def name(self) -> str:
        return "action_ask_report_confirm"

    def extra(self, turn: Turn, lang: str) -> dict[str, object]:
        catalog = content_store().get()
        none = catalog.label("reports.none", lang)
        now = catalog.label("reports.now", lang)
        lines = []
        for label, value in report_form.summary_fields(turn.slots, place_name(turn.slots)):
            shown = now if label == "reports.field_when" and value == report_form.NOW else value or none
            lines.append(catalog.label(label, lang, value=shown))
        return {"summary": ("\n" if turn.channel == "web" else " ").join(lines)}


class ActionSubmitReport(ContentAction):
    """Save the confirmed report (or not, when cancelled or limited) and give its reference code."""

    def name(self) -> str:
        return "action_submit_report"

    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        catalog = content_store().get()
        slots = turn.slots
        if slots.get("report_confirm") != report_form.SEND or not slots.get("report_what"):
            return [answer(catalog, "reports.cancelled", lang, turn.channel)]
        if not _allowed(turn.sender):
            log.warning("report refused by the rate limit")
            return [answer(catalog, "reports.limited", lang, turn.channel)]
        sealed = slots.get(report_form.SEALED_SLOT)
        if sealed and slots.get("report_contact"):
            numbers = privacy.unseal(settings().secret_key, sealed)
            slots = {**slots, "report_contact": report_form.fill_phones(slots["report_contact"], numbers)}
        report = self._save(report_form.new_report(slots, lang, turn.channel, dt.datetime.now(dt.timezone.utc)))
        if report is None:
            return [answer(catalog, "reports.failed", lang, turn.channel)]
        log.info("report %s saved for %s", report.code, report.department or "general")
        if report.department:
            extra = {"code": report.code, "department": department_name(report.department)}
            return [answer(catalog, "reports.sent", lang, turn.channel, extra)]
        return [answer(catalog, "reports.sent_general", lang, turn.channel, {"code": report.code})]

    @staticmethod
    def _save(report: NewReport) -> Report | None:
        """Store the report; a database that is restarting gets a few seconds (within the
        gateway's time budget) before the resident is told to call the hotline instead."""
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return report_store().add(report, sinks=sink_names())
            except ReportError as exc:
                log.error("report not saved: %s", exc.__class__.__name__)
                return None
            except (SQLAlchemyError, OSError) as exc:
                log.warning("report not saved yet (%s), attempt %d", type(exc).__name__, attempt + 1)
                time.sleep(SAVE_PAUSE_SECONDS)
        log.error("report not saved: the database did not come back")
        return None

    def extra_events(self, turn: Turn, lang: str) -> list[EventType]:
        return [*super().extra_events(turn, lang), *(SlotSet(slot, None) for slot in report_form.FIRST_SLOTS)]
