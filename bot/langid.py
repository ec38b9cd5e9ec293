"""Tell apart our languages that share a script, learned from our own training data.

lingua knows standard Tagalog, Vietnamese and Chinese, but residents write Taglish,
Vietnamese without its accents and Cantonese in Traditional characters, which lingua
confuses with English or Simplified Chinese. The NLU training data is already labelled by
locale (data/nlu/<locale>/), and written the way residents type, so a character n-gram
classifier learns exactly these differences. It trains in about two seconds from files
the project ships (nothing is downloaded), once per process, on the first message.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

__all__ = ["VIEWS", "ScriptGroupClassifier", "available", "classifier", "han_only", "latin_only"]

log = logging.getLogger(__name__)


def _letters(text: str) -> list[str]:
    return [unicodedata.name(c, "UNKNOWN").split()[0] for c in text if c.isalpha()]


def latin_only(text: str) -> bool:
    """Is every letter of `text` Latin ("toi can luat su", "ICE lai le")?"""
    letters = _letters(text)
    return bool(letters) and all(s == "LATIN" for s in letters)


def han_only(text: str) -> str:
    """Only the Chinese characters of `text`: what tells Traditional from Simplified usage."""
    return "".join(c for c in text if c.isalpha() and unicodedata.name(c, "").startswith("CJK"))


VIEWS: dict[str, Callable[[str], str]] = {
    "latin": lambda text: text if latin_only(text) else "",
    "han": han_only,
}


def _examples(nlu_dir: Path, locale: str) -> list[str]:
    texts: list[str] = []
    for path in sorted((nlu_dir / locale).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            texts += [line[2:].strip() for line in str(block.get("examples", "")).splitlines() if line.startswith("- ")]
    return texts


class ScriptGroupClassifier:
    """Which of a few locales a message is in: a linear model on character 1-4-grams.

    SGD with the modified Huber loss scored as well as logistic regression on the held-out
    sets (scripts/lid_eval.py) and fits in 2 s instead of 15 s on our Latin-script examples.
    """

    def __init__(self, texts: list[str], labels: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import make_pipeline

        self.locales = sorted(set(labels))
        self._model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=True),
            SGDClassifier(loss="modified_huber", random_state=311),
        )
        self._model.fit(texts, labels)

    def probabilities(self, text: str) -> dict[str, float]:
        """Each locale's probability for `text` (seen through the same view as the examples)."""
        row = self._model.predict_proba([text])[0]
        return {str(locale): float(p) for locale, p in zip(self._model.classes_, row, strict=True)}


@functools.lru_cache(maxsize=8)
def classifier(nlu_dir: Path, locales: tuple[str, ...], view: str) -> ScriptGroupClassifier | None:
    """The classifier for `locales` on examples seen through `view` (see VIEWS), from `nlu_dir`.

    A locale without such examples is left out; None when fewer than two remain.
    """
    texts: list[str] = []
    labels: list[str] = []
    for locale in locales:
        found = [seen for seen in map(VIEWS[view], _examples(nlu_dir, locale)) if seen]
        texts += found
        labels += [locale] * len(found)
    if len(set(labels)) < 2:
        return None
    log.info("language classifier for %s: %d examples", ",".join(locales), len(texts))
    return ScriptGroupClassifier(texts, labels)


def available(nlu_dir: Path, locales: Iterable[str]) -> tuple[str, ...]:
    """The locales among `locales` that have training data."""
    return tuple(sorted(locale for locale in locales if (nlu_dir / locale).is_dir()))
