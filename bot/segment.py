"""Split a message into words, in any of our scripts, with character offsets.

Chinese, Japanese and Thai are written without spaces, so a whitespace tokenizer keeps a
whole sentence as one token. Each run of one script goes to a segmenter made for it: jieba
for Chinese, TinySegmenter for Japanese (a run with kana, or Han text in a message with
kana), PyThaiNLP's newmm for Thai; everything else splits at non-word characters. All
three ship their dictionaries or models in the wheel: nothing is downloaded.

>>> [w.text for w in words("ICE來咗點算")]
['ICE', '來', '咗', '點算']
>>> [w.text for w in words("ถ้าICEมาที่บ้าน")]
['ถ้า', 'ICE', 'มา', 'ที่', 'บ้าน']
>>> [w.text for w in words("can't stop: ¿qué hago?")]
["can't", 'stop', 'qué', 'hago']
>>> [w.text for w in words("Ի՞նչ անեմ, կրնա՞մ")]
['Ինչ', 'անեմ', 'կրնամ']
>>> count_words("移民局の人が来たらどうする")
7
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Word", "count_words", "script_of", "words"]


@dataclass(frozen=True)
class Word:
    """A word and where it is in the message."""

    text: str
    start: int
    end: int


def script_of(char: str) -> str:
    """'han', 'kana', 'thai', 'hangul', 'word' (other letters and digits) or 'other'."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F:
        return "han"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if char.isalnum() or unicodedata.category(char) in ("Mn", "Mc", "Cf") or char in "'’" or char in _ARMENIAN_MARKS:
        return "word"
    return "other"


# Armenian writes its question, stress and exclamation marks inside the word ("կրնա՞մ"):
# they belong to the word, and the word is the same without them.
_ARMENIAN_MARKS = "\u055b\u055c\u055e"


@functools.lru_cache(maxsize=1)
def _jieba() -> Callable[[str], list[str]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading at INFO
    return lambda text: list(jieba.cut(text, HMM=True))


@functools.lru_cache(maxsize=1)
def _tinysegmenter() -> Callable[[str], list[str]]:
    import tinysegmenter

    return tinysegmenter.TinySegmenter().tokenize  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def _newmm() -> Callable[[str], list[str]]:
    from pythainlp.tokenize import word_tokenize

    return lambda text: word_tokenize(text, engine="newmm", keep_whitespace=False)


def _runs(text: str) -> Iterator[tuple[str, int, int]]:
    """Maximal runs of one script: (script, start, end). Kana and Han stay together."""
    start, current = 0, ""
    for index, char in enumerate(text):
        script = script_of(char)
        if script in ("kana", "han"):
            script = "cjk"
        elif script == "hangul":
            script = "word"
        if script != current:
            if current:
                yield current, start, index
            start, current = index, script
    if current:
        yield current, start, len(text)


def _segment(run: str, segmenter: Callable[[str], list[str]], offset: int) -> Iterator[Word]:
    position = 0
    for piece in segmenter(run):
        piece = piece.strip()
        if not piece:
            continue
        found = run.find(piece, position)
        if found < 0:  # a segmenter that normalizes its output: keep the run whole
            yield Word(run, offset, offset + len(run))
            return
        position = found + len(piece)
        yield Word(piece, offset + found, offset + position)


def words(text: str) -> list[Word]:
    """The words of `text`, in order, with offsets into `text`; punctuation is dropped."""
    japanese = any(script_of(c) == "kana" for c in text)
    found: list[Word] = []
    for script, start, end in _runs(text):
        run = text[start:end]
        if script == "cjk":
            found.extend(_segment(run, _tinysegmenter() if japanese else _jieba(), start))
        elif script == "thai":
            found.extend(_segment(run, _newmm(), start))
        elif script == "word":
            stripped = run.strip("'’" + _ARMENIAN_MARKS)
            if stripped:
                left = start + run.index(stripped)
                bare = "".join(c for c in stripped if c not in _ARMENIAN_MARKS)
                found.append(Word(bare, left, left + len(stripped)))
    return found


def count_words(text: str) -> int:
    """How many words `text` has, in any script."""
    return len(words(text))


