"""Read and check the place data: `departments.yml` and `facilities.yml` into `Places`.

`departments.yml` holds the City departments, the places that are not City property and
phrases to skip; `facilities.yml` the named places. `load_places` checks every entry and
every locale's words, and raises `PlacesError` listing every problem and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import yaml

from bot.languages import LANGUAGES
from bot.places_model import (
    Department,
    Facility,
    NotCity,
    Owner,
    PlaceMatch,
    Places,
    PlacesError,
    Route,
    _compact,
    _Index,
    _Term,
    _tokens,
    fold,
)
from bot.segment import script_of

__all__ = ["CONFIDENCES", "NOT_CITY_OWNERS", "load_places"]

CONFIDENCES = ("high", "medium", "low", "unconfirmed")
NOT_CITY_OWNERS = ("county", "federal", "private", "unknown")
_UNSPACED = ("han", "kana", "thai", "hangul")  # words found as substrings
_EXACT_LOCALES = ("vi",)  # folded Vietnamese syllables are short and near one another: no guessing at typos
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


def load_places(directory_dir: Path, locales: Sequence[str] = tuple(LANGUAGES)) -> Places:
    """Read and check `departments.yml` and `facilities.yml`; raise `PlacesError` listing every problem."""
    errors: list[str] = []
    dep_doc, fac_doc = _read(directory_dir / "departments.yml", errors), _read(directory_dir / "facilities.yml", errors)
    departments: dict[str, Department] = {}
    for where, raw, common in _entries(dep_doc, "departments", "departments.yml", errors):
        departments[common["key"]] = Department(**common, place_words=_words(raw, where, locales, errors), part_of=raw.get("part_of"))
    errors += [f"departments.yml: departments {d.key!r}: part_of {d.part_of!r} is not a department key"
               for d in departments.values() if d.part_of is not None and not (isinstance(d.part_of, str) and d.part_of in departments)]
    not_city: dict[str, NotCity] = {}
    for where, raw, common in _entries(dep_doc, "not_city", "departments.yml", errors):
        owner, route = raw.get("owner"), raw.get("route")
        if owner not in NOT_CITY_OWNERS:
            errors.append(f"{where}: owner must be one of {', '.join(NOT_CITY_OWNERS)}")
        if route != ("county" if owner == "county" else "hotline"):
            errors.append(f"{where}: route must be 'county' for County places and 'hotline' for all others")
        names = _strings(raw.get("names", []), f"{where}: names", errors)
        words = _words(raw, where, locales, errors)
        not_city[common["key"]] = NotCity(**common, owner=cast(Owner, owner), route=cast(Route, route), names=names, place_words=words)
    facilities: dict[str, Facility] = {}
    for where, raw, common in _entries(fac_doc, "facilities", "facilities.yml", errors):
        if not (isinstance(raw.get("department"), str) and raw["department"] in departments):
            errors.append(f"{where}: department {raw.get('department')!r} is not a key in departments.yml: add it there or fix the key")
        aliases = _strings(raw.get("aliases"), f"{where}: aliases", errors)
        if not aliases:
            errors.append(f"{where}: list at least one alias, the names residents use for it")
        facilities[common["key"]] = Facility(**common, department=str(raw.get("department")), aliases=aliases)
    terms = _terms(departments, not_city, facilities, errors)
    ignore = [tuple(t[0] for t in _tokens(fold(p))) for p in _strings(dep_doc.get("ignore", []), "departments.yml: ignore", errors)]
    if errors:
        raise PlacesError("place data is invalid:\n  - " + "\n  - ".join(errors))
    return Places(departments, facilities, not_city, _Index(terms, (p for p in ignore if p)))


def _read(path: Path, errors: list[str]) -> dict[str, Any]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        errors.append(f"{path.name}: cannot be read as YAML ({path}): {exc}")
        return {}
    if not isinstance(doc, dict):
        errors.append(f"{path.name}: must be a mapping with its sections at the top level")
        return {}
    return doc


def _entries(doc: dict[str, Any], section: str, file: str, errors: list[str]) -> Iterable[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each entry of `section` with a usable key: (where, raw entry, the fields every entry has)."""
    items, seen = doc.get(section), set()
    if not isinstance(items, list):
        if doc:  # an unreadable file has said so already
            errors.append(f"{file}: '{section}' must be a list of entries")
        return
    for n, raw in enumerate(items, 1):
        key = raw.get("key") if isinstance(raw, dict) else None
        where = f"{file}: {section} {key!r}" if isinstance(key, str) else f"{file}: {section} entry #{n}"
        if not isinstance(key, str) or not _KEY.fullmatch(key) or key in seen:
            errors.append(f"{where}: needs a snake_case 'key' that no other entry of '{section}' has")
            continue
        seen.add(key)
        sources = _strings(raw.get("sources"), f"{where}: sources", errors)
        if not sources or not all(s.startswith(("https://", "http://")) for s in sources):
            errors.append(f"{where}: sources must list the addresses (http...) of the pages that show the facts")
        if raw.get("confidence") not in CONFIDENCES:
            errors.append(f"{where}: confidence must be one of {', '.join(CONFIDENCES)}")
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            errors.append(f"{where}: needs a 'name'")
        yield where, raw, {"key": key, "name": str(raw.get("name")), "sources": sources, "confidence": str(raw.get("confidence"))}


def _strings(value: object, where: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors.append(f"{where}: must be a list of non-empty words (use [] for none)")
        return ()
    return tuple(value)


def _words(raw: dict[str, Any], where: str, locales: Sequence[str], errors: list[str]) -> dict[str, tuple[str, ...]]:
    value = raw.get("place_words")
    if not isinstance(value, dict):
        errors.append(f"{where}: place_words must map each locale ({', '.join(locales)}) to a list of words")
        return {}
    unknown = sorted({str(k) for k in value} - set(locales))
    errors += [f"{where}: place_words.{x} is not a launch locale ({', '.join(locales)})" for x in unknown]
    errors += [f"{where}: place_words has no '{m}' list: add the words residents use, or `{m}: []`" for m in locales if m not in value]
    return {loc: _strings(value[loc], f"{where}: place_words.{loc}", errors) for loc in locales if loc in value}


def _terms(departments: Mapping[str, Department], not_city: Mapping[str, NotCity], facilities: Mapping[str, Facility],
           errors: list[str]) -> list[_Term]:
    """Every word and name as a `_Term`; a word that names two different places is an error."""
    found: list[tuple[str, PlaceMatch, bool, str | None]] = []  # word, target, named, locale
    for d in departments.values():
        target = PlaceMatch(d.key, None, True, "city", 0.0, confidence=d.confidence)
        found += [(w, target, False, loc) for loc, words in d.place_words.items() for w in words]
    for o in not_city.values():
        target = PlaceMatch(None, None, False, o.owner, 0.0, not_city=o.key, route=o.route, confidence=o.confidence)
        found += [(w, target, True, None) for w in o.names] + [(w, target, False, loc) for loc, ws in o.place_words.items() for w in ws]
    for f in facilities.values():
        found += [(w, PlaceMatch(f.department, f.key, True, "city", 0.0, confidence=f.confidence), True, None) for w in f.aliases]
    found += [(w.replace(" ", ""), t, n, loc) for w, t, n, loc in found if " " in w and any(script_of(c) == "hangul" for c in w)]
    terms: dict[str, _Term] = {}
    for word, target, named, locale in found:  # Korean is written with and without its spaces: both are terms
        folded = fold(word)
        unspaced = any(script_of(c) in _UNSPACED for c in folded)
        tokens = () if unspaced else tuple(t[0] for t in _tokens(folded))
        text = _compact(folded)[0] if unspaced else " ".join(tokens)
        old = terms.get(text)
        if not text or (old and old.target != target):
            what = f"also names {_label(old.target)!r}: a word names one place" if old else "has no letters to match"
            errors.append(f"the word {word!r} of {_label(target)!r} {what}")
            continue
        locales = frozenset([locale] if locale else []) | (old.locales if old else frozenset())
        fuzzy = named or locale not in _EXACT_LOCALES or bool(old and old.fuzzy)
        terms[text] = _Term(text, tokens, target, named or bool(old and old.named), fuzzy, locales)
    return list(terms.values())


def _label(target: PlaceMatch) -> str | None:
    return target.facility or target.department or target.not_city
