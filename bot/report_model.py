"""What a report is: the records a resident fills in and the store hands back, and the rules a report must pass.

`bot.reports` stores these records (encrypted) and keeps the delivery outbox; this module has no
database and no key, so a form or a channel can validate a report before it is stored.

>>> from datetime import datetime, timezone
>>> at = datetime(2025, 7, 7, 17, 0, tzinfo=timezone.utc)
>>> validate(NewReport("enforcement", "  agents at the gate ", "Lincoln Park", None, None, at), now=at).what
'agents at the gate'
>>> validate(NewReport("enforcement", "agents", "", None, None, at), now=at)
Traceback (most recent call last):
  ...
bot.report_model.ReportError: where: must not be empty
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

__all__ = ["CHANNELS", "KINDS", "MAX_PHOTOS", "STATUSES", "Delivery", "NewReport", "OutboxItem", "Report", "ReportError", "validate"]

KINDS = ("enforcement", "police_cooperation", "hate_incident")
STATUSES = ("new", "acknowledged")
CHANNELS = ("web", "sms")
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
_LIMITS = {"what": 1000, "where": 300, "details": 2000, "contact": 200}
MAX_PHOTOS = 5


class ReportError(ValueError):
    """A report is invalid; the message names the field and says why."""


@dataclass(frozen=True)
class NewReport:
    """What a resident reported, before it is stored (text already redacted by the caller)."""

    kind: str
    what: str
    where: str
    department: str | None
    facility: str | None
    occurred_at: datetime
    details: str = ""
    photo_urls: tuple[str, ...] = ()
    contact: str | None = None
    lang: str = "en"
    channel: str = "web"


@dataclass(frozen=True)
class Report:
    """A stored report, decrypted for the liaison inbox and the deliverer."""

    code: str
    kind: str
    what: str
    where: str
    department: str | None
    facility: str | None
    occurred_at: datetime
    details: str
    photo_urls: tuple[str, ...]
    contact: str | None
    lang: str
    channel: str
    created_at: datetime
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class OutboxItem:
    """One delivery claimed by a deliverer: send report `code` through sink `sink`."""

    id: int
    code: str
    sink: str
    attempts: int  # including the one now being made
    delivery_key: str


@dataclass(frozen=True)
class Delivery:
    """The state of one report's delivery through one sink (no content)."""

    sink: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivery_key: str


def _db_time(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)



def _now(now: datetime | None) -> datetime:
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _db_time(now or datetime.now(timezone.utc))


def validate(report: NewReport, now: datetime | None = None) -> NewReport:
    """The report with its text stripped, or ReportError naming the first invalid field."""
    def fail(field: str, why: str) -> ReportError:
        return ReportError(f"{field}: {why}")
    if report.kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}")
    text = {name: (getattr(report, name) or "").strip() for name in _LIMITS}
    for name in ("what", "where"):
        if not text[name]:
            raise fail(name, "must not be empty")
    for name, limit in _LIMITS.items():
        if len(text[name]) > limit:
            raise fail(name, f"must be at most {limit} characters")
    for name in ("department", "facility"):
        value = getattr(report, name)
        if value is not None and not _KEY.fullmatch(value):
            raise fail(name, "must be a key of letters, digits, '_', '.' or '-' (at most 64)")
    if not isinstance(report.occurred_at, datetime) or report.occurred_at.tzinfo is None:
        raise fail("occurred_at", "must be a timezone-aware date and time")
    if _db_time(report.occurred_at) > _now(now) + timedelta(days=1):
        raise fail("occurred_at", "must not be more than a day in the future")
    if len(report.photo_urls) > MAX_PHOTOS:
        raise fail("photo_urls", f"at most {MAX_PHOTOS} photos")
    for url in report.photo_urls:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or len(url) > 500 or any(c.isspace() for c in url):
            raise fail("photo_urls", "each must be an https URL of at most 500 characters")
    if not _LANG.fullmatch(report.lang or "") or len(report.lang) > 24:
        raise fail("lang", "must be a short BCP 47 tag such as 'es' or 'zh-Hant'")
    if report.channel not in CHANNELS:
        raise fail("channel", f"must be one of {', '.join(CHANNELS)}")
    return NewReport(report.kind, text["what"], text["where"], report.department, report.facility, report.occurred_at,
                     text["details"], tuple(report.photo_urls), text["contact"] or None, report.lang, report.channel)
