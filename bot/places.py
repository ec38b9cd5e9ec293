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

The data is read and checked by `bot.places_load` into the types of `bot.places_model`;
this module re-exports both, so callers import everything from here.

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
from pathlib import Path  # noqa: F401  # the module doctest above uses it
from typing import NamedTuple

from rapidfuzz.distance import OSA

from bot.places_load import load_places
from bot.places_model import (
    Department,
    Facility,
    NotCity,
    PlaceMatch,
    Places,
    PlacesError,
    _compact,
    _Index,
    _inflects,
    _stem,
    _Term,
    _tokens,
    fold,
)
from bot.segment import script_of

__all__ = ["Department", "Facility", "NotCity", "PlaceMatch", "Places", "PlacesError", "fold", "load_places", "match_place"]

MAX_MATCHES = 3
MAX_CHARS = 1000  # a report names its place early; longer text is cut so matching stays fast
NAMED, GENERIC = 100.0, 70.0  # a named place beats a generic word


class _Hit(NamedTuple):
    score: float
    start: int
    end: int
    term: _Term



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
