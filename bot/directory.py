"""The resource directory and the "help near me" lookup.

`data/directory/organizations.yml` lists where to get legal help, support services and the
rapid-response hotline; `data/directory/neighborhoods.yml` gives each common Los Angeles
place name one ZIP code. This module validates both files, turns what a resident typed into
a `Location` (a ZIP code or a place name, forgiving small typos) and finds the nearest
entries of a kind that serve the resident's language, with whether each is open now.
ZIP coordinates come from the `zipcodes` library, which ships its data (no network).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
import zipcodes
from rapidfuzz import fuzz, process

__all__ = [
    "KINDS", "Directory", "DirectoryError", "Hours", "Location", "Lookup",
    "Neighborhood", "Organization", "Result", "find", "load_directory", "resolve_location",
]

KINDS = ("legal_help", "support_services", "rapid_response")
WIDE_AREAS = ("countywide", "citywide", "national")
CONFIDENCES = ("high", "medium", "low")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LA_TZ = ZoneInfo("America/Los_Angeles")
LA_COUNTY = "Los Angeles County"
_ORG_FIELDS = {"key", "name", "kinds", "offers", "phone", "text", "text_keyword", "web", "address", "zip", "lat", "lon",
               "coordinates", "languages", "interpretation", "hours", "area", "sources", "confidence", "verified", "publish", "reason"}
_PHONE = re.compile(r"^(\d{3}-\d{3}-\d{4}|\(\d{3}\) \d{3}-\d{4}|\d{3})$", re.ASCII)
_TEXT_NUMBER = re.compile(r"^\d{3,6}$", re.ASCII)
_WEB = re.compile(r"^(https://)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/\S*)?$")
_URL = re.compile(r"^https?://\S+$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$", re.ASCII)
_ZIP_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{5})(?:-[0-9]{4})?(?![0-9])")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")  # Thai, kana, Han, Hangul
_KATAKANA = re.compile(r"[\u30a0-\u30ff]")
# A place name right after or before one of these words names a street ("Reseda Blvd"), not the place.
_STREET_AFTER = ("blvd", "boulevard", "bl", "ave", "avenue", "av", "st", "street", "rd", "road", "dr", "drive", "way", "ln", "lane",
                 "fwy", "hwy", "բուլվար", "бульвар", "بلوار")
_STREET_BEFORE = ("calle", "avenida", "bulevar", "boulevard", "duong", "улица", "улице", "خیابان", "خیابون", "بلوار")
# Typo-matching only for Latin names of 7+ letters: shorter ones collide with everyday words.
_FUZZY_MIN_LEN, _FUZZY_CUTOFF = 7, 88.0


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


def _read(path: Path) -> tuple[dict[str, Any], Callable[[str | None, str | None, str], DirectoryError]]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError(f"{path.name}: cannot be read ({exc}); fix the file") from None

    def err(key: str | None, name: str | None, problem: str) -> DirectoryError:
        where = path.name
        if key is not None:
            pattern = re.compile(rf"^\s*-?\s*key:\s*[\"']?{re.escape(key)}[\"']?\s*(#.*)?$")
            line = next((n for n, row in enumerate(text.splitlines(), 1) if pattern.match(row)), 0)
            where += f":{line}" * bool(line) + f" entry '{key}'"
        return DirectoryError(f"{where}{f', field {name!r}' if name else ''}: {problem}")

    if not isinstance(data, dict):
        raise err(None, None, "must be a mapping; see the comment at the top of the file")
    return data, err


def _rows(data: dict[str, Any], section: str, err: Callable[..., DirectoryError]) -> list[tuple[str, dict[str, Any]]]:
    rows, seen = data.get(section), set()
    if not isinstance(rows, list):
        raise err(None, None, f"needs a '{section}' list")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("key"), str) or not _KEY.match(row["key"]):
            raise err(None, None, f"entry {number} of '{section}' needs a snake_case 'key'")
        if row["key"] in seen:
            raise err(row["key"], "key", "duplicate key; give each entry its own key")
        seen.add(row["key"])
    return [(row["key"], row) for row in rows]


def _text(row: dict[str, Any], name: str, err: Callable[..., DirectoryError], key: str, required: bool = False) -> str | None:
    value = row.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise err(key, name, "must be non-empty text (quote numbers: \"988\")")
    return value.strip()


def _hours(raw: Any, err: Callable[..., DirectoryError], key: str) -> Hours | None:
    if raw is None:
        return None
    if raw == {"always": True}:
        return Hours(always=True)
    if not isinstance(raw, dict) or not raw or not set(raw) <= set(DAYS):
        raise err(key, "hours", f"use {{always: true}} or weekdays {', '.join(DAYS)} with [\"HH:MM-HH:MM\"] lists")
    weekly: dict[str, tuple[tuple[int, int], ...]] = {}
    for day, ranges in raw.items():
        parsed = [_RANGE.match(r) if isinstance(r, str) else None for r in (ranges if isinstance(ranges, list) else [None])]
        spans = [(int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])) for m in parsed if m]
        if len(spans) != len(parsed) or any(start >= end or end > 24 * 60 for start, end in spans):
            raise err(key, "hours", f"{day}: write ranges like \"09:00-17:00\" (end after start; 24:00 for midnight)")
        weekly[day] = tuple(spans)
    return Hours(weekly=weekly)


def _check_in_facts(number: str, cells: list[str], err: Callable[..., DirectoryError], key: str, name: str) -> None:
    """A number must appear in the fact sheet, in a table cell or line that does not call it UNCONFIRMED."""
    hits = [cell for cell in cells if re.search(rf"(?<![\d-]){re.escape(number)}(?![\d-])", cell)]
    if not hits:
        raise err(key, name, f"{number} is not in the fact sheet; add it there with its source first")
    if all("UNCONFIRMED" in cell for cell in hits):
        raise err(key, name, f"{number} is marked UNCONFIRMED in the fact sheet; leave it out")


def _near(value: Any, centre: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value - centre) < 0.01


def _neighborhood(key: str, row: dict[str, Any], err: Callable[..., DirectoryError]) -> Neighborhood:
    if unknown := set(row) - {"key", "name", "zip", "city", "aliases"}:
        raise err(key, sorted(unknown)[0], "unknown field; see the comment at the top of the file")
    code = row.get("zip")
    record = _zip_record(code) if isinstance(code, str) else None
    if not isinstance(code, str) or record is None or record["county"] != LA_COUNTY:
        raise err(key, "zip", f"{code!r} is not a ZIP code in L.A. County; write five digits in quotes")
    aliases = row.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and _norm(a) for a in aliases):
        raise err(key, "aliases", "must be a list of names")
    return Neighborhood(key, str(_text(row, "name", err, key, True)), code, float(record["lat"]), float(record["long"]),
                        _text(row, "city", err, key), tuple(aliases))


def _organization(key: str, row: dict[str, Any], err: Callable[..., DirectoryError], hoods: Mapping[str, Neighborhood],
                  facts: list[str] | None) -> Organization:
    if unknown := set(row) - _ORG_FIELDS:
        raise err(key, sorted(unknown)[0], "unknown field; see the comment at the top of the file")
    kinds = row.get("kinds")
    if not isinstance(kinds, list) or not kinds or not set(kinds) <= set(KINDS):
        raise err(key, "kinds", f"must list one or more of {', '.join(KINDS)}, got {kinds!r}")
    langs = row.get("languages")
    if not isinstance(langs, list) or not langs or not all(isinstance(t, str) and _LANG.match(t) for t in langs):
        raise err(key, "languages", f"must list BCP 47 tags such as en, es, zh-Hant, got {langs!r}")
    sources = row.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and _URL.match(s) for s in sources):
        raise err(key, "sources", "must list the http(s) source addresses from the fact sheet")
    if row.get("confidence") not in CONFIDENCES:
        raise err(key, "confidence", f"must be one of {', '.join(CONFIDENCES)}")
    if not isinstance(row.get("verified"), dt.date):
        raise err(key, "verified", "must be the date it was last checked, as YYYY-MM-DD")
    phone, text, web = (_text(row, n, err, key) for n in ("phone", "text", "web"))
    if phone is not None and not _PHONE.match(phone):
        raise err(key, "phone", f"{phone!r} is not a phone number like 888-624-4752, (800) 593-8222 or 211")
    if text is not None and not _TEXT_NUMBER.match(text):
        raise err(key, "text", f"{text!r} is not a text number like 741741")
    if web is not None and not _WEB.match(web):
        raise err(key, "web", f"{web!r}: write a bare domain (chirla.org) or an https:// address")
    for name, number in (("phone", phone), ("text", text)):
        if number is not None and facts is not None:
            _check_in_facts(number, facts, err, key, name)
    area = _text(row, "area", err, key)
    if area is not None and area not in WIDE_AREAS and area not in hoods:
        raise err(key, "area", f"{area!r} is not {', '.join(WIDE_AREAS)} or a key in neighborhoods.yml")
    code, lat, lon, basis = _text(row, "zip", err, key), row.get("lat"), row.get("lon"), row.get("coordinates")
    record = _zip_record(code) if code else None
    if code is not None and record is None:
        raise err(key, "zip", f"{code!r} is not a known 5-digit ZIP code")
    if basis is not None and (basis != "zip_centroid" or code is None):
        raise err(key, "coordinates", "only 'zip_centroid', with a 'zip'")
    if record is not None:
        if lat is None and lon is None:
            lat, lon, basis = float(record["lat"]), float(record["long"]), "zip_centroid"
        elif basis != "zip_centroid" or not (_near(lat, float(record["lat"])) and _near(lon, float(record["long"]))):
            raise err(key, "lat", f"lat/lon must be the center of ZIP {code} ({record['lat']}, {record['long']}), "
                                  "marked coordinates: zip_centroid")
    elif lat is not None or lon is not None:
        raise err(key, "lat", "give a 'zip' with the coordinates")
    elif area is not None and area in hoods:
        lat, lon, basis = hoods[area].lat, hoods[area].lon, "area"
    publish, reason = row.get("publish", True), _text(row, "reason", err, key)
    if publish is not True and (publish is not False or reason is None):
        raise err(key, "publish", "must be true, or false with a 'reason'")
    if publish and row["confidence"] == "low":
        raise err(key, "publish", "an entry the fact sheet tags [low] must have publish: false and a reason")
    if publish and not (phone or text or web or row.get("address")):
        raise err(key, "phone", "a published entry needs a phone, text number, web address or address")
    if not isinstance(row.get("interpretation", False), bool):
        raise err(key, "interpretation", "must be true or false")
    return Organization(
        key, str(_text(row, "name", err, key, True)), tuple(kinds), str(_text(row, "offers", err, key, True)), tuple(langs),
        tuple(sources), row["confidence"], row["verified"], phone, text, _text(row, "text_keyword", err, key), web,
        _text(row, "address", err, key), code, None if lat is None else float(lat), None if lon is None else float(lon),
        basis, bool(row.get("interpretation", False)), _hours(row.get("hours"), err, key), area, publish, reason)


def load_directory(directory_dir: Path, facts_path: Path | None = None) -> Directory:
    """Load and check both directory files; with `facts_path`, every number must be in the fact sheet."""
    data, err = _read(directory_dir / "neighborhoods.yml")
    hoods = tuple(_neighborhood(key, row, err) for key, row in _rows(data, "neighborhoods", err))
    aliases: dict[str, Neighborhood] = {}
    for hood in hoods:
        for alias in {_norm(a) for a in (hood.name, *hood.aliases)}:
            if aliases.setdefault(alias, hood) is not hood:
                raise err(hood.key, "aliases", f"{alias!r} already names '{aliases[alias].key}'; an alias names one place")
    lines = facts_path.read_text(encoding="utf-8").splitlines() if facts_path is not None else None
    facts = None if lines is None else [cell for line in lines for cell in (line.split("|") if line.lstrip().startswith("|") else [line])]
    data, err = _read(directory_dir / "organizations.yml")
    by_key = {h.key: h for h in hoods}
    orgs = tuple(_organization(key, row, err, by_key, facts) for key, row in _rows(data, "organizations", err))
    fallback = data.get("fallback") or {}
    published = {o.key for o in orgs if o.publish}
    if not isinstance(fallback, dict) or set(fallback) != set(KINDS) or not set(fallback.values()) <= published:
        raise err(None, "fallback", f"must map each of {', '.join(KINDS)} to the key of a published entry")
    return Directory(orgs, hoods, dict(fallback), aliases)


def _zip_location(directory: Directory, code: str) -> Location | None:
    record = _zip_record(code)
    if record is None:
        return None
    in_county = record["county"] == LA_COUNTY
    cities = {h.city for h in directory.neighborhoods if h.zip == code} - {"mixed"}
    in_city = (cities == {None}) if in_county and len(cities) == 1 else (False if not in_county else None)
    city = next(iter(cities)) if len(cities) == 1 else None
    label = f"{record['city']}, {record['state']} {code}"
    return Location(code, float(record["lat"]), float(record["long"]), label, in_county, in_city, city=city)


def _is_street(word: str, street_words: tuple[str, ...]) -> bool:
    return any(word == w or (not w.isascii() and word.startswith(w)) for w in street_words)


def _found(alias: str, text: str) -> bool:
    """Whether `alias` names a place in `text` (both normalized)."""
    if _UNSPACED.search(alias):
        squashed, needle = text.replace(" ", ""), alias.replace(" ", "")
        start = squashed.find(needle)
        while start >= 0:
            end = start + len(needle)
            # Katakana runs on within a word: "ガーデナー" (gardener) is not "ガーデナ" (Gardena).
            joined = (start > 0 and _KATAKANA.match(needle[0]) and _KATAKANA.match(squashed[start - 1])) or \
                     (end < len(squashed) and _KATAKANA.match(needle[-1]) and _KATAKANA.match(squashed[end]))
            if not joined:
                return True
            start = squashed.find(needle, start + 1)
        return False
    suffix = "" if alias.isascii() else r"\S*"  # inflected: Գլենդելում, Голливуде
    for match in re.finditer(rf"(?<!\S){re.escape(alias)}{suffix}(?!\S)", text):
        before, after = text[:match.start()].split()[-1:], text[match.end():].split()[:1]
        if not (before and _is_street(before[0], _STREET_BEFORE)) and not (after and _is_street(after[0], _STREET_AFTER)):
            return True
    return False


def _match_name(directory: Directory, text: str) -> Neighborhood | None:
    """The longest name or alias in `text`; else the closest Latin name within a small typo."""
    hits = [(len(alias), hood) for alias, hood in directory.aliases.items() if _found(alias, text)]
    if hits:
        return max(hits, key=lambda hit: hit[0])[1]
    choices = {alias.replace(" ", ""): hood for alias, hood in directory.aliases.items()
               if alias.isascii() and len(alias.replace(" ", "")) >= _FUZZY_MIN_LEN}
    words, best = text.split(), None
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            candidate, before, after = "".join(words[start:start + size]), words[start - 1:start], words[start + size:start + size + 1]
            if len(candidate) < _FUZZY_MIN_LEN or not candidate.isascii() or \
                    (before and _is_street(before[0], _STREET_BEFORE)) or (after and _is_street(after[0], _STREET_AFTER)):
                continue
            match = process.extractOne(candidate, list(choices), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            # A typo keeps the first letter. A word that only cuts a name short ("hawthorn" for
            # "hawthorne") is an everyday word, and words around a whole name were already judged.
            overlap = match is not None and match[0] != candidate and \
                (match[0].startswith(candidate) or match[0].endswith(candidate) or match[0] in candidate)
            if match and match[0][0] == candidate[0] and not overlap and (best is None or match[1] > best[1]):
                best = (match[0], match[1])
    return choices[best[0]] if best else None


def resolve_location(directory: Directory, text: str) -> Location | None:
    """A ZIP code anywhere in `text`, else a neighborhood name or alias; None when there is neither.

    >>> from bot.settings import PROJECT_ROOT
    >>> d = load_directory(PROJECT_ROOT / "data" / "directory")
    >>> resolve_location(d, "my zip is 90057-1234").label
    'Los Angeles, CA 90057'
    >>> resolve_location(d, "I live in Koreatwon").zip
    '90005'
    >>> resolve_location(d, "チャイナタウンの近く").label
    'Chinatown'
    >>> loc = resolve_location(d, "Glendale")
    >>> loc.in_la_county, loc.in_la_city, loc.city
    (True, False, 'Glendale')
    >>> resolve_location(d, "10001").in_la_county
    False
    >>> resolve_location(d, "I need a lawyer") is None
    True
    """
    text = unicodedata.normalize("NFKC", text)
    digits = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)  # ۹۰۰۵۷, ๙๐๐๕๗
    for match in _ZIP_IN_TEXT.finditer(digits):
        if (location := _zip_location(directory, match[1])) is not None:
            return location
    hood = _match_name(directory, _norm(text))
    if hood is None:
        return None
    in_city = None if hood.city == "mixed" else hood.city is None
    city = hood.city if hood.city not in (None, "mixed") else None
    return Location(hood.zip, hood.lat, hood.lon, hood.name, True, in_city, hood.key, city)


def _serves(languages: tuple[str, ...], lang: str) -> bool:
    """Same language, and the same script when both name one: "zh" serves zh-Hant and zh-Hans."""
    def split(tag: str) -> tuple[str, str | None]:
        parts = tag.split("-")
        return parts[0].lower(), next((p.title() for p in parts[1:] if len(p) == 4), None)

    want, want_script = split(lang)
    return any(base == want and (script is None or want_script is None or script == want_script)
               for base, script in map(split, languages))


def _distance_km(org: Organization, location: Location | None) -> float | None:
    if location is None or org.lat is None or org.lon is None:
        return None
    p1, p2 = math.radians(location.lat), math.radians(org.lat)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(org.lon - location.lon) / 2) ** 2
    return round(2 * 6371.0 * math.asin(math.sqrt(a)), 1)


def find(directory: Directory, kind: str, lang: str, location: Location | None, now: dt.datetime,
         limit: int = 3, near_km: float = 50.0) -> Lookup:
    """The nearest published entries of `kind` that serve `lang`, with whether each is open at `now`.

    With a location: entries within `near_km` by distance, then countywide, citywide and 24/7
    ones, then the rest. Without one: countywide and 24/7 entries first. When none serves
    `lang`, entries with interpretation are offered, plus the kind's fallback (211 or the hotline);
    entries with interpretation also fill the places the entries serving `lang` leave free.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(timezone.utc)")
    pool = [o for o in directory.organizations if o.publish and kind in o.kinds]
    served = [o for o in pool if _serves(o.languages, lang)]
    order = {o.key: n for n, o in enumerate(directory.organizations)}

    def rank(org: Organization) -> tuple[int, float, bool, int, int]:
        always = org.hours is not None and org.hours.always
        wide, distance = org.area in WIDE_AREAS or always, _distance_km(org, location)
        tie = (not always, CONFIDENCES.index(org.confidence), order[org.key])
        if location is None:
            return (0 if wide else 1, 0.0, *tie)
        if distance is not None and distance <= near_km:
            return (0, distance, *tie)
        return (1, 0.0, *tie) if wide else (2, math.inf if distance is None else distance, *tie)

    chosen = sorted(served, key=rank)[:limit]
    chosen += sorted((o for o in pool if o.interpretation and o not in chosen), key=rank)[:limit - len(chosen)]
    fallback = directory.organization(directory.fallback[kind])
    if not served and fallback not in chosen:
        chosen = [*chosen[:max(limit - 1, 0)], fallback]
    results = tuple(Result(o, _distance_km(o, location), o.coordinates if _distance_km(o, location) is not None else None,
                           None if o.hours is None else o.hours.is_open(now), _serves(o.languages, lang)) for o in chosen)
    return Lookup(kind, lang, location, results, bool(served), location is not None and not location.in_la_county)
