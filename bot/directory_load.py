"""Read and check the resource directory files into a `Directory`.

`data/directory/organizations.yml` lists where to get legal help, support services and the
rapid-response hotline; `data/directory/neighborhoods.yml` gives each common Los Angeles
place name one ZIP code. `load_directory` validates both (and, given the fact sheet, that
every phone and text number is in it); an error names the file, line, entry and field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.directory_model import (
    CONFIDENCES,
    DAYS,
    KINDS,
    LA_COUNTY,
    WIDE_AREAS,
    Directory,
    DirectoryError,
    Hours,
    Neighborhood,
    Organization,
    _norm,
    _zip_record,
)

__all__ = ["load_directory"]

_ORG_FIELDS = {"key", "name", "kinds", "offers", "phone", "text", "text_keyword", "web", "address", "zip", "lat", "lon",
               "coordinates", "languages", "interpretation", "hours", "area", "sources", "confidence", "verified", "publish", "reason"}
_PHONE = re.compile(r"^(\d{3}-\d{3}-\d{4}|\(\d{3}\) \d{3}-\d{4}|\d{3})$", re.ASCII)
_TEXT_NUMBER = re.compile(r"^\d{3,6}$", re.ASCII)
_WEB = re.compile(r"^(https://)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/\S*)?$")
_URL = re.compile(r"^https?://\S+$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$", re.ASCII)


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
