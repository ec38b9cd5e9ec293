"""The resource directory and the "help near me" lookup.

`data/directory/organizations.yml` lists where to get legal help, support services and the
rapid-response hotline; `data/directory/neighborhoods.yml` gives each common Los Angeles
place name one ZIP code. `bot.directory_load` validates both files (into the types of
`bot.directory_model`); this module turns what a resident typed into a `Location` (a ZIP
code or a place name, forgiving small typos) and finds the nearest entries of a kind that
serve the resident's language, with whether each is open now. It re-exports the types and
`load_directory`, so callers import everything from here.
ZIP coordinates come from the `zipcodes` library, which ships its data (no network).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from rapidfuzz import fuzz, process

from bot.directory_load import load_directory
from bot.directory_model import (
    CONFIDENCES,
    KINDS,
    LA_COUNTY,
    WIDE_AREAS,
    Directory,
    DirectoryError,
    Hours,
    Location,
    Lookup,
    Neighborhood,
    Organization,
    Result,
    _norm,
    _zip_record,
)

__all__ = [
    "KINDS", "Directory", "DirectoryError", "Hours", "Location", "Lookup",
    "Neighborhood", "Organization", "Result", "find", "load_directory", "resolve_location",
]

_ZIP_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{5})(?:-[0-9]{4})?(?![0-9])")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")  # Thai, kana, Han, Hangul
_KATAKANA = re.compile(r"[\u30a0-\u30ff]")
# A place name right after or before one of these words names a street ("Reseda Blvd"), not the place.
_STREET_AFTER = ("blvd", "boulevard", "bl", "ave", "avenue", "av", "st", "street", "rd", "road", "dr", "drive", "way", "ln", "lane",
                 "fwy", "hwy", "բուլվար", "бульвар", "بلوار")
_STREET_BEFORE = ("calle", "avenida", "bulevar", "boulevard", "duong", "улица", "улице", "خیابان", "خیابون", "بلوار")
# Typo-matching only for Latin names of 7+ letters: shorter ones collide with everyday words.
_FUZZY_MIN_LEN, _FUZZY_CUTOFF = 7, 88.0


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
