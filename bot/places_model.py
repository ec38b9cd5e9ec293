"""The place data's types, the text folding that loading and matching share, and the term index.

`bot.places_load` reads `data/directory/departments.yml` and `facilities.yml` into these
types; `bot.places` matches a resident's words against the `_Index` they hold. Both import
from here, so neither imports the other; `bot.places` re-exports the public names.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.segment import script_of

__all__ = ["Department", "Facility", "NotCity", "Owner", "PlaceMatch", "Places", "PlacesError", "Route", "fold"]

Owner = Literal["city", "county", "federal", "private", "unknown"]
Route = Literal["department", "county", "hotline"]
_NO_SPACES = ("han", "kana", "thai")  # scripts written without spaces between words
_VOWELS = "аеёиоуыэюяйь" "աեէըիոօ" "هیاو"
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
