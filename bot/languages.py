"""Which language to answer in: the registry, babel negotiation, naming and detection.

An explicit choice always wins (a language the widget or API names, a language named in
the message). Otherwise the language is detected with lingua (its models ship inside the
wheel), limited to the locales we have content for, and it is sticky: a conversation
switches only on a confident sentence of three words or more in another language.

>>> normalize("es-MX"), normalize("zh_TW"), normalize("fil"), normalize("xx")
('es', 'zh-Hant', 'tl', None)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import babel
from babel import Locale

__all__ = [
    "DEFAULT_LOCALE",
    "LANGUAGES",
    "Choice",
    "choose",
    "detect",
    "direction",
    "endonym",
    "named_language",
    "negotiate",
    "normalize",
]

DEFAULT_LOCALE = "en"
SWITCH_MIN_WORDS = 3
SWITCH_MIN_CONFIDENCE = 0.7  # lingua's relative confidence among served languages


@dataclass(frozen=True)
class Language:
    """A locale we may serve: its BCP 47 tag, babel id and lingua name."""

    tag: str
    babel_id: str
    lingua: str
    rtl: bool = False


# The launch locales and the next ones of DESIGN.md. Which of them are served is decided by
# the content that exists (locales/<tag>.yml), not here.
LANGUAGES: dict[str, Language] = {
    lang.tag: lang
    for lang in (
        Language("en", "en", "ENGLISH"),
        Language("es", "es", "SPANISH"),
        Language("zh-Hant", "zh_Hant", "CHINESE"),
        Language("zh-Hans", "zh_Hans", "CHINESE"),
        Language("ko", "ko", "KOREAN"),
        Language("tl", "fil", "TAGALOG"),
        Language("vi", "vi", "VIETNAMESE"),
        Language("hy", "hy", "ARMENIAN"),
        Language("fa", "fa", "PERSIAN", rtl=True),
        Language("ru", "ru", "RUSSIAN"),
        Language("ja", "ja", "JAPANESE"),
        Language("th", "th", "THAI"),
    )
}
_ALIASES = {
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant": "zh-Hant",
    "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans": "zh-Hans", "zh": "zh-Hans",
    "fil": "tl", "pes": "fa", "prs": "fa",
}


def normalize(tag: str | None) -> str | None:
    """Map a BCP 47 or POSIX tag to one of our locales, or None."""
    if not tag:
        return None
    low = tag.strip().replace("_", "-").lower()
    for candidate in (low, "-".join(low.split("-")[:2]), low.split("-")[0]):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
        for known in LANGUAGES:
            if known.lower() == candidate:
                return known
    return None


def negotiate(preferred: Iterable[str], available: Iterable[str]) -> str | None:
    """Pick the best of `available` for an Accept-Language style list, with babel."""
    wanted = [n for n in (normalize(p) for p in preferred) if n]
    return babel.negotiate_locale(wanted, list(available), sep="-")


def parse_accept_language(header: str) -> list[str]:
    """Tags of an Accept-Language header, best first."""
    weighted = []
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag and tag != "*":
            weighted.append((weight, tag))
    return [tag for _, tag in sorted(weighted, key=lambda item: -item[0])]


def endonym(tag: str) -> str:
    """The language's name in its own script, from babel's CLDR data."""
    locale = Locale.parse(LANGUAGES[tag].babel_id)
    name = locale.get_display_name(locale) or tag
    return name[:1].upper() + name[1:]


def direction(tag: str) -> str:
    """'rtl' or 'ltr'."""
    language = LANGUAGES.get(tag)
    return "rtl" if language and language.rtl else "ltr"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=16)
def _names(served: tuple[str, ...]) -> dict[str, str]:
    """Every name of each served language, in every served language, folded: name -> tag."""
    names: dict[str, str] = {}
    for tag in served:
        for shown_in in served:
            display = Locale.parse(LANGUAGES[shown_in].babel_id).languages.get(LANGUAGES[tag].babel_id.split("_")[0])
            if display:
                names[_fold(display)] = tag
        names[_fold(endonym(tag))] = tag
    return names


_WORD = re.compile(r"\w+", re.UNICODE)


def named_language(text: str, served: Iterable[str]) -> str | None:
    """The served language a message names ("español", "in English please"), the last one named."""
    names = _names(tuple(sorted(served)))
    folded = _fold(text)
    # A bare tag counts only as the whole message: "en" and "es" are also common words.
    whole = normalize(folded.strip(" .!?"))
    if whole in names.values() and len(folded.strip(" .!?")) <= 7:
        return whole
    found: list[tuple[int, str]] = []
    for name, tag in names.items():
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded):
            found.append((match.start(), tag))
    return max(found)[1] if found else None


@functools.lru_cache(maxsize=16)
def _detector(served: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from lingua import Language as LinguaLanguage
    from lingua import LanguageDetectorBuilder

    languages = {getattr(LinguaLanguage, LANGUAGES[t].lingua) for t in served}
    if len(languages) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect(text: str, served: Iterable[str]) -> tuple[str, float] | None:
    """The most likely served language of `text` and its confidence, or None without letters."""
    served_tags = tuple(sorted(served))
    if not any(c.isalpha() for c in text):
        return None
    detector = _detector(served_tags)
    if detector is None:
        return (served_tags[0], 1.0) if served_tags else None
    values = detector.compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    tags = [t for t in served_tags if LANGUAGES[t].lingua == best.language.name]
    return (tags[0], best.value) if tags else None


@dataclass(frozen=True)
class Choice:
    """The language to answer in, and why."""

    lang: str
    reason: str  # "explicit", "named", "detected", "sticky" or "default"


def choose(text: str, current: str | None, served: Iterable[str], explicit: str | None = None) -> Choice:
    """Decide the reply language for one message of a conversation."""
    served_set = set(served)
    wanted = normalize(explicit)
    if wanted in served_set:
        return Choice(wanted, "explicit")
    if text.startswith("/"):  # a button payload names an intent, not a language
        return Choice(current or DEFAULT_LOCALE, "sticky" if current else "default")
    words = _WORD.findall(text)
    named = named_language(text, served_set)
    if named and len(words) <= 6:
        return Choice(named, "named")
    guess = detect(text, served_set)
    if current in served_set:
        if guess and guess[0] != current and len(words) >= SWITCH_MIN_WORDS and guess[1] >= SWITCH_MIN_CONFIDENCE:
            return Choice(guess[0], "detected")
        return Choice(current, "sticky")
    if guess:
        return Choice(guess[0], "detected")
    return Choice(DEFAULT_LOCALE, "default")
