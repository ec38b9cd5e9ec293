"""Match the place a resident names to the City department that holds it, or to "not City property".

A report of enforcement goes to the Immigrant Affairs Liaison of the department that holds
the place, so the bot offers up to three candidates for the resident to confirm. The data
is `data/directory/departments.yml` (departments, not-City places, phrases to skip) and
`facilities.yml` (named places). Words of every locale are searched for every resident;
case, accents and full-width forms are folded. Chinese, Japanese, Thai and Korean words are
found as substrings (no spaces, or particles attached); Russian, Armenian and Farsi words
allow case endings. Other Latin-script words (not folded Vietnamese, whose syllables are too
close) and named places allow a small typo (rapidfuzz): in 4-letter words a letter added
inside or two letters swapped, in 5-6 letters also a missing letter, any one edit from 7
letters, two from 10. Words of 1-3 letters match exactly (or with a plural "s").

>>> places = load_places(Path(__file__).parents[1] / "data" / "directory")
>>> best = match_place(places, "I saw ICE at MacArthur Park", "en")[0]
>>> best.facility, best.department, best.city_property
('macarthur_park', 'recreation_parks', True)
>>> [(m.department, m.owner) for m in match_place(places, "en la biblioteca de Boyle Heights", "es")]
[('library', 'city')]
>>> best = match_place(places, "洛杉磯縣立公園有ICE", "zh-Hant")[0]
>>> best.not_city, best.owner, best.route
('county', 'county', 'county')
>>> match_place(places, "I saw agents", "en")
[]
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.languages import LANGUAGES
from bot.segment import script_of

__all__ = ["Department", "Facility", "NotCity", "PlaceMatch", "Places", "PlacesError", "fold", "load_places", "match_place"]

Owner = Literal["city", "county", "federal", "private", "unknown"]
Route = Literal["department", "county", "hotline"]
CONFIDENCES = ("high", "medium", "low", "unconfirmed")
NOT_CITY_OWNERS = ("county", "federal", "private", "unknown")
MAX_MATCHES = 3
MAX_CHARS = 1000  # a report names its place early; longer text is cut so matching stays fast
NAMED, GENERIC = 100.0, 70.0  # a named place beats a generic word
_UNSPACED = ("han", "kana", "thai", "hangul")  # words found as substrings
_NO_SPACES = ("han", "kana", "thai")  # scripts written without spaces between words
_EXACT_LOCALES = ("vi",)  # folded Vietnamese syllables are short and near one another: no guessing at typos
_VOWELS = "аеёиоуыэюяйь" "աեէըիոօ" "هیاو"
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "đ": "d", "\u200c": None, "\u200d": None, "\u0640": None, "\u00ad": None})


class PlacesError(ValueError):
    """The place data is invalid; the message lists every problem and how to fix it."""


@dataclass(frozen=True)
class _Entry:
    key: str
    name: str
    sources: tuple[str, ...]
    confidence: str


@dataclass(frozen=True)
class Department(_Entry):
    """A City department (or bureau) that holds property; `place_words` maps locale -> words."""

    place_words: Mapping[str, tuple[str, ...]]
    part_of: str | None = None


@dataclass(frozen=True)
class Facility(_Entry):
    """A named City place and the key of the department that holds it."""

    department: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class NotCity(_Entry):
    """Places that are not City property: who owns them and where a report goes instead."""

    owner: Owner
    route: Route
    names: tuple[str, ...]
    place_words: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class PlaceMatch:
    """One candidate for the place a resident named; `score` is 0-100, named places near 100."""

    department: str | None
    facility: str | None
    city_property: bool
    owner: Owner
    score: float
    not_city: str | None = None
    route: Route = "department"
    confidence: str = "high"


class _Term(NamedTuple):
    text: str  # folded; without spaces for unspaced scripts
    tokens: tuple[str, ...]  # empty for unspaced scripts
    target: PlaceMatch  # what a match of this term means (score 0)
    named: bool
    fuzzy: bool
    locales: frozenset[str]


class _Hit(NamedTuple):
    score: float
    start: int
    end: int
    term: _Term


class _Index:
    """Terms arranged for lookup by a message's tokens."""

    def __init__(self, terms: Iterable[_Term], ignore: Iterable[tuple[str, ...]]) -> None:
        self.ignore, self.unspaced = tuple(ignore), [t for t in terms if not t.tokens]
        self.first: dict[str, list[_Term]] = {}
        self.stems: dict[str, list[_Term]] = {}
        self.fuzzy: dict[str, list[_Term]] = {}
        for term in (t for t in terms if t.tokens):
            head = term.tokens[0]
            self.first.setdefault(head, []).append(term)
            if _inflects(head):
                self.stems.setdefault(_stem(head), []).append(term)
            elif term.fuzzy and len(head) >= 4:
                self.fuzzy.setdefault(head, []).append(term)
        self.fuzzy_heads = list(self.fuzzy)

    def candidates(self, token: str) -> set[_Term]:
        """Terms whose first word may be `token` (same, plural, case ending or typo)."""
        found = set(self.first.get(token, ()))
        for plural in ("s", "es"):
            if token.endswith(plural):
                found.update(self.first.get(token[: -len(plural)], ()))
        if _inflects(token):
            for size in range(3, len(token) + 1):
                found.update(self.stems.get(token[:size], ()))
        elif len(token) >= 4:
            for head, _, _ in process.extract(token, self.fuzzy_heads, scorer=OSA.distance, score_cutoff=2, limit=None):
                found.update(self.fuzzy[head])
        return found


@dataclass(frozen=True, repr=False)
class Places:
    """The validated place data: departments, named facilities and not-City places by key."""

    departments: Mapping[str, Department]
    facilities: Mapping[str, Facility]
    not_city: Mapping[str, NotCity]
    _index: _Index = field(compare=False)

    def __repr__(self) -> str:
        return f"<Places: {len(self.departments)} departments, {len(self.facilities)} facilities, {len(self.not_city)} not-City>"


def fold(text: str) -> str:
    """Fold case, accents, width and Persian/Arabic letter variants, for matching.

    >>> fold("Ｂｉｂｌｉｏｔｅｃａ Pública"), fold("Thư viện"), fold("كتاب‌خانه")
    ('biblioteca publica', 'thu vien', 'کتابخانه')
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    kept = (c for c in unicodedata.normalize("NFD", text) if not ("\u0300" <= c <= "\u036f" or "\u064b" <= c <= "\u065f" or c == "\u0670"))
    return unicodedata.normalize("NFC", "".join(kept))


def _tokens(folded: str) -> list[tuple[str, int, int]]:
    """Words of spaced scripts with their offsets; a run of an unspaced script ends a word."""
    spans, start = [], -1
    for i, char in enumerate(folded + " "):
        if script_of(char) == "word":
            start = i if start < 0 else start
        elif start >= 0:
            word = folded[start:i].rstrip("'’")
            lead = len(word) - len(word.lstrip("'’"))
            if word[lead:]:
                spans.append((word[lead:], start + lead, start + len(word)))
            start = -1
    return spans


def _compact(folded: str) -> tuple[str, list[int]]:
    """The text for substring search, and where each kept character was: no middle dots, one
    space at most, and none next to Chinese, Japanese or Thai (Korean spaces divide words)."""
    chars: list[str] = []
    where: list[int] = []
    for i, char in enumerate(folded):
        if char in "・·‧" or (char.isspace() and (not chars or chars[-1] == " ")):
            continue
        if chars and chars[-1] == " " and (script_of(char) in _NO_SPACES or script_of(chars[-2]) in _NO_SPACES):
            del chars[-1], where[-1]
        chars.append(" " if char.isspace() else char)
        where.append(i)
    return "".join(chars).rstrip(), where


def _inflects(word: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" or "\u0530" <= c <= "\u058f" or "\u0600" <= c <= "\u06ff" for c in word)


def _stem(word: str) -> str:
    return word[:-1] if word[-1] in _VOWELS and len(word) > 3 else word


def _token_penalty(want: str, got: str, fuzzy: bool) -> int | None:
    """0 for the same word, 1 for a plural or case ending, 3 per typo; None when it is another word."""
    if got == want:
        return 0
    if _inflects(want):  # Russian up to 2 letters of ending, Farsi 1-3, Armenian 3 (5 after a long stem)
        stem, arabic = _stem(want), "\u0600" <= want[0] <= "\u06ff"
        limit = (5 if len(stem) >= 5 else 3) if "\u0530" <= want[0] <= "\u058f" else 3 if arabic else 2
        return 1 if got.startswith(stem) and int(arabic) <= len(got) - len(stem) <= limit else None
    if got in (want + "s", want + "es"):
        return 1
    if not fuzzy or len(want) < 4:
        return None
    if len(want) == 4:  # only a letter added inside or two swapped, keeping the first letter: parck, prak
        inside = len(got) == 5 and got[0] == want[0] and got[-1] == want[-1]
        swapped = len(got) == 4 and got[0] == want[0] and sorted(got) == sorted(want)
        return 3 if (inside or swapped) and OSA.distance(want, got) == 1 else None
    most = 2 if len(want) >= 10 else 1
    edits = OSA.distance(want, got, score_cutoff=most)
    if edits > most or (len(want) <= 6 and len(got) == len(want) and sorted(got) != sorted(want)):
        return None  # a 5-6 letter word with one letter changed is usually another word (parque/porque)
    return 3 * edits


def _hits(index: _Index, folded: str, lang: str) -> list[_Hit]:
    """Every reading of the text as a term, with its score and where it is."""
    tokens = _tokens(folded)
    words = [t[0] for t in tokens]
    blocked: set[int] = set()
    for phrase in index.ignore:
        blocked.update(j for i in range(len(words)) if tuple(words[i : i + len(phrase)]) == phrase for j in range(i, i + len(phrase)))
    hits = []
    for i, token in enumerate(words):
        for term in index.candidates(token):
            end = i + len(term.tokens)
            if end > len(words) or blocked.intersection(range(i, end)):
                continue
            penalties = [_token_penalty(want, got, term.fuzzy) for want, got in zip(term.tokens, words[i:end], strict=True)]
            if None not in penalties:
                score = (NAMED if term.named else GENERIC) - sum(p or 0 for p in penalties) + (lang in term.locales)
                hits.append(_Hit(score, tokens[i][1], tokens[end - 1][2], term))
    compact, where = _compact(folded)
    for term in index.unspaced:
        at = compact.find(term.text)
        while at >= 0:
            score = (NAMED if term.named else GENERIC) + (lang in term.locales)
            hits.append(_Hit(score, where[at], where[at + len(term.text) - 1] + 1, term))
            at = compact.find(term.text, at + 1)
    return hits


def match_place(places: Places, text: str, lang: str) -> list[PlaceMatch]:
    """Up to three candidates for the place named in `text`, best first; [] when none is named."""
    folded = fold(text[:MAX_CHARS])
    accepted: list[_Hit] = []
    # One stretch of text names one place: a name beats a word, then the longer reading ("county park" over "park").
    for hit in sorted(_hits(places._index, folded, lang), key=lambda h: (not h.term.named, h.start - h.end, -h.score, h.start)):
        if not any(hit.start < a.end and a.start < hit.end for a in accepted):
            accepted.append(hit)

    def absorbed(hit: _Hit) -> bool:  # "Whittier Narrows park", "Home Depot parking lot": the word describes the name
        def describes(n: _Hit) -> bool:
            near = all(script_of(c) == "other" for c in folded[min(n.end, hit.end) : max(n.start, hit.start)])
            related = hit.term.target.owner == "unknown" or not n.term.target.city_property
            return n.term.named and near and (related or n.term.target.department == hit.term.target.department)

        return not hit.term.named and any(describes(n) for n in accepted)

    best: dict[PlaceMatch, _Hit] = {}
    for hit in accepted:
        if not absorbed(hit) and hit.term.target not in best:
            best[hit.term.target] = hit
    held = {t.department for t in best if t.facility}  # a named facility speaks for its department's words
    ranked = sorted((h for t, h in best.items() if t.facility or t.department not in held), key=lambda h: (-h.score, h.start))
    return [dataclasses.replace(h.term.target, score=min(h.score, 100.0)) for h in ranked[:MAX_MATCHES]]


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
