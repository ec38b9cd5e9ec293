"""SMS encoding, segment counting, and shaping long answers into messages or "MORE" pages.

A message that uses only GSM-7 characters costs 160 characters a segment (153 when split);
any other character switches the whole message to UCS-2: 70 a segment (67 when split).
No maintained library on PyPI does just this, so the GSM alphabet is written out here.

>>> encoding("Call 888-624-4752 now")
'GSM-7'
>>> encoding("Llame ahora, información")
'UCS-2'
>>> segments("a" * 161)
2
>>> segments("é" * 70), segments("á" * 71)
(1, 2)

`split` keeps each Twilio body within 1,600 UTF-16 code units; `fit` and `pages` cut an
answer into pages of a few segments each. Both break at a paragraph, else a line, else after
a sentence, else at a space, else between grapheme clusters (``regex``'s ``\\X``), so an
emoji sequence, a flag or a letter with its marks is never torn apart.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate

import regex

__all__ = ["encoding", "fit", "pages", "segments", "split"]

_GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7 = frozenset(_GSM7_BASIC)
_GSM7_EXT = frozenset(_GSM7_EXTENDED)

_GRAPHEME = regex.compile(r"\X")
_SPACE = regex.compile(r"\s+")
# Western-style stops need a following space (so "3.5" and "lacity.org" stay whole);
# CJK full-width stops are not followed by one. Closing quotes stay with their sentence.
_SENTENCE_END = regex.compile(r"[.!?։؟][\"'”’»)\]]*(?=\s)|[。！？][\"'”’」』）]*")
# Ranks of break points: lower is preferred.
_PARAGRAPH, _LINE, _SENTENCE, _WORD = range(4)


def encoding(text: str) -> str:
    """Return 'GSM-7' when every character is in the GSM alphabet, else 'UCS-2'."""
    return "GSM-7" if all(c in _GSM7 or c in _GSM7_EXT for c in text) else "UCS-2"


def _utf16(text: str) -> int:
    # A character outside the BMP (an emoji) takes two code units.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _units(text: str) -> int:
    if encoding(text) == "GSM-7":
        return sum(2 if c in _GSM7_EXT else 1 for c in text)
    return _utf16(text)


def segments(text: str) -> int:
    """How many SMS segments `text` takes in its encoding."""
    units = _units(text)
    single, split = (160, 153) if encoding(text) == "GSM-7" else (70, 67)
    if units <= single:
        return 1
    return -(-units // split)


def _grapheme_ends(text: str, most: int) -> list[int]:
    """Offsets just after each grapheme cluster, up to offset `most`."""
    # A boundary depends only on the characters before it and the one after it.
    ends = accumulate(map(len, _GRAPHEME.findall(text[: most + 1])))
    return [end for end in ends if end <= most]


def _longest(text: str, ends: list[int], fits: Callable[[str], bool]) -> int:
    """Index in `ends` of the longest grapheme prefix that fits, or -1 when none does."""
    # Binary search is sound because a longer prefix never costs fewer units or segments.
    low, high = -1, len(ends) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[: ends[middle]].rstrip()):
            low = middle
        else:
            high = middle - 1
    return low


def _breaks(text: str, last: int) -> list[tuple[int, int]]:
    """(rank, offset) of every paragraph, line, sentence and word break up to offset `last`."""
    found: list[tuple[int, int]] = []
    for match in _SPACE.finditer(text):
        if match.start() > last:
            break
        newlines = match.group().count("\n")
        rank = _PARAGRAPH if newlines > 1 else _LINE if newlines else _WORD
        found.append((rank, match.start()))
    for match in _SENTENCE_END.finditer(text):
        if match.end() > last:
            break
        found.append((_SENTENCE, match.end()))
    return found


def _best_break(text: str, ends: list[int], last: int) -> int:
    """The preferred break in the second half of text[:last], else `last` itself."""
    # Only the second half counts, so a short heading does not become a page of its own.
    first = max(1, last // 2)
    allowed = set(ends)
    usable = [(rank, -offset) for rank, offset in _breaks(text, last) if offset >= first and offset in allowed]
    return -min(usable)[1] if usable else last


def _cut(text: str, fits: Callable[[str], bool], most: int) -> tuple[str, str] | None:
    """(head, rest) of stripped `text` with the best head that fits; None if no grapheme fits.

    `most` bounds the length in characters of any head that fits.
    """
    if len(text) <= most and fits(text):
        return text, ""
    ends = _grapheme_ends(text, most)
    longest = _longest(text, ends, fits)
    if longest < 0:
        return None
    cut = _best_break(text, ends, ends[longest])
    return text[:cut].rstrip(), text[cut:].lstrip()


def _first_grapheme(text: str) -> str:
    match = _GRAPHEME.match(text)
    return match.group() if match else ""


def split(text: str, limit: int = 1600) -> list[str]:
    """Split `text` into stripped parts of at most `limit` UTF-16 code units (Twilio's cap is 1,600).

    >>> split("Know your rights. Call 311 today.", limit=20)
    ['Know your rights.', 'Call 311 today.']
    >>> split("First line\\nSecond line", limit=15)
    ['First line', 'Second line']
    >>> print(*split("👩‍👩‍👧🇺🇸 👩‍👩‍👧🇺🇸👩‍👩‍👧", limit=12), sep=" | ")
    👩‍👩‍👧🇺🇸 | 👩‍👩‍👧🇺🇸 | 👩‍👩‍👧
    >>> split("   ")
    []
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1 UTF-16 code unit, got {limit}")
    def fits(part: str) -> bool:
        return _utf16(part) <= limit

    parts: list[str] = []
    rest = text.strip()
    while rest:
        cut = _cut(rest, fits, limit)
        if cut is None:
            grapheme = _first_grapheme(rest)
            raise ValueError(f"the grapheme cluster {grapheme!r} is longer than limit={limit} UTF-16 code units; raise the limit")
        head, rest = cut
        parts.append(head)
    return parts


def _most_characters(max_segments: int) -> int:
    # Every character costs at least one unit, and GSM-7 holds the most units.
    return 160 if max_segments == 1 else 153 * max_segments


def fit(text: str, max_segments: int, reserve: str = "") -> tuple[str, str]:
    """(head, rest): the longest well-broken head that, with `reserve` appended, fits in `max_segments`.

    When the whole stripped `text` fits in `max_segments` on its own, it is returned with an
    empty rest and no room is kept for `reserve`, which the caller only appends before more.

    >>> head, rest = fit("a" * 200, 1, "\\n(MORE)")
    >>> len(head), len(rest), encoding(head)
    (153, 47, 'GSM-7')
    >>> head, rest = fit("😀" + "a" * 200, 1, "\\n(MORE)")
    >>> len(head), encoding(head), segments(head + "\\n(MORE)")
    (62, 'UCS-2', 1)
    >>> fit("  Call 311.  ", 1, "\\n(MORE)")
    ('Call 311.', '')
    """
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")
    text, most = text.strip(), _most_characters(max_segments)
    if len(text) <= most and segments(text) <= max_segments:
        return text, ""
    cut = _cut(text, lambda head: segments(head + reserve) <= max_segments, most)
    if cut is None:
        raise ValueError(
            f"{_first_grapheme(text)!r} followed by reserve {reserve!r} needs more than {max_segments} SMS segment(s); "
            "raise max_segments or shorten the reserve"
        )
    return cut


def pages(text: str, max_segments: int, reserve: str) -> list[str]:
    """Cut `text` into pages of at most `max_segments` segments; all but the last get `reserve` appended.

    >>> pages("Uno. Dos. Tres. Cuatro.", 1, " (MORE)")
    ['Uno. Dos. Tres. Cuatro.']
    >>> [len(page) for page in pages("Usted tiene derechos. " * 12, 1, "\\n(MORE)")]
    [153, 109]
    >>> pages(" ", 1, "\\n(MORE)")
    []
    """
    result: list[str] = []
    rest = text.strip()
    while rest:
        head, rest = fit(rest, max_segments, reserve)
        result.append(head)
    return result
