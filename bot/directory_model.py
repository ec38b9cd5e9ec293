"""The resource directory's types: organizations, neighborhoods, hours, locations and lookups.

Shared by `bot.directory_load` (which reads and checks the directory files into these types)
and `bot.directory` (which resolves where a resident is and finds help near them), so that
neither imports the other. `bot.directory` re-exports the public names.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import zipcodes

__all__ = [
    "CONFIDENCES", "DAYS", "KINDS", "LA_COUNTY", "LA_TZ", "WIDE_AREAS", "Directory", "DirectoryError", "Hours", "Location",
    "Lookup", "Neighborhood", "Organization", "Result",
]

KINDS = ("legal_help", "support_services", "rapid_response")
WIDE_AREAS = ("countywide", "citywide", "national")
CONFIDENCES = ("high", "medium", "low")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LA_TZ = ZoneInfo("America/Los_Angeles")
LA_COUNTY = "Los Angeles County"


class DirectoryError(ValueError):
    """A directory file that must not be served; the message names file, entry and field."""


@dataclass(frozen=True)
class Hours:
    """Opening hours in Los Angeles time: always open, or minute ranges per weekday."""

    always: bool = False
    weekly: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def is_open(self, when: dt.datetime) -> bool:
        """Whether it is open at `when` (timezone-aware), read in Los Angeles time."""
        if self.always:
            return True
        local = when.astimezone(LA_TZ)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.weekly.get(DAYS[local.weekday()], ()))

    def as_dict(self) -> dict[str, Any]:
        """The hours for display: {"always": True} or {"mon": ["09:00-17:00"], ...}."""
        if self.always:
            return {"always": True}
        return {day: [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in ranges]
                for day, ranges in self.weekly.items()}


@dataclass(frozen=True)
class Neighborhood:
    """A place name from neighborhoods.yml, placed at its ZIP code's center."""

    key: str
    name: str
    zip: str
    lat: float
    lon: float
    city: str | None  # None: the City of Los Angeles
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Organization:
    """An entry of organizations.yml, as validated."""

    key: str
    name: str
    kinds: tuple[str, ...]
    offers: str
    languages: tuple[str, ...]
    sources: tuple[str, ...]
    confidence: str
    verified: dt.date
    phone: str | None = None
    text: str | None = None
    text_keyword: str | None = None
    web: str | None = None
    address: str | None = None
    zip: str | None = None
    lat: float | None = None
    lon: float | None = None
    coordinates: str | None = None  # "zip_centroid", or "area" when placed at its neighborhood's ZIP
    interpretation: bool = False
    hours: Hours | None = None
    area: str | None = None
    publish: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class Directory:
    """Both directory files, loaded; unpublished entries are kept but never offered."""

    organizations: tuple[Organization, ...]
    neighborhoods: tuple[Neighborhood, ...]
    fallback: Mapping[str, str]  # kind -> the key always offered when no entry serves the language
    aliases: Mapping[str, Neighborhood]  # normalized name or alias -> neighborhood

    def organization(self, key: str) -> Organization:
        found = next((o for o in self.organizations if o.key == key), None)
        if found is None:
            raise KeyError(key)
        return found


@dataclass(frozen=True)
class Location:
    """Where a resident is, from a ZIP code or a place name; coordinates are the ZIP's center."""

    zip: str
    lat: float
    lon: float
    label: str
    in_la_county: bool
    in_la_city: bool | None  # None: a region across the City line, or a ZIP code not in neighborhoods.yml
    neighborhood: str | None = None  # the neighborhoods.yml key, when the resident named a place
    city: str | None = None  # another city ("Glendale") or "unincorporated"; None for the City or unknown


@dataclass(frozen=True)
class Result:
    """One entry offered by `find`, with what is known about it right now."""

    organization: Organization
    distance_km: float | None
    distance_basis: str | None  # "zip_centroid" or "area": both are approximate
    open_now: bool | None  # None: hours unknown
    serves_language: bool

    @property
    def hours(self) -> Hours | None:
        return self.organization.hours

    @property
    def verified(self) -> dt.date:
        return self.organization.verified


@dataclass(frozen=True)
class Lookup:
    """The answer to one "help near me" question."""

    kind: str
    lang: str
    location: Location | None
    results: tuple[Result, ...]
    language_served: bool
    outside_area: bool


@functools.lru_cache(maxsize=2048)  # the library scans its whole table on each call
def _zip_record(code: str) -> dict[str, Any] | None:
    found = zipcodes.matching(code) if re.fullmatch(r"[0-9]{5}", code) else []
    return found[0] if found else None


def _norm(text: str) -> str:
    """Casefold, drop Latin accents, fold width, turn punctuation into single spaces, and part
    Latin from other scripts ("我住在Boyle Heights")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold().replace("đ", "d"))
    text = unicodedata.normalize("NFKC", "".join(c for c in text if not "\u0300" <= c <= "\u036f"))
    text = "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in text)
    return " ".join(re.sub(r"(?<=[a-z0-9])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[a-z0-9])", " ", text).split())
