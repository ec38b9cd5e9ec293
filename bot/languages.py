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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import babel
from babel import Locale

from bot import langid
from bot.segment import count_words, script_of

__all__ = [
    "DEFAULT_LOCALE",
    "LANGUAGES",
    "SAMPLES",
    "Choice",
    "chinese_script",
    "choose",
    "detect",
    "direction",
    "endonym",
    "english_name",
    "named_language",
    "negotiate",
    "normalize",
    "warm_up",
]

DEFAULT_LOCALE = "en"
SWITCH_MIN_WORDS = 3
SWITCH_MIN_CONFIDENCE = 0.7  # relative confidence among the served languages of the same script
# A first message guessed with less confidence gets the default: "hi", "hello" and "ok" score
# 0.22-0.29 for Korean, Spanish or Tagalog; "hola" 0.47 for Spanish, "salamat" 0.89 for Tagalog.
FIRST_MIN_CONFIDENCE = 0.3
LEARNED_WEIGHT = 0.5  # our data's classifier vs lingua, for languages sharing a script (make bench-nlu)


@dataclass(frozen=True)
class Language:
    """A locale we may serve: its BCP 47 tag, babel id and lingua name."""

    tag: str
    babel_id: str
    lingua: str
    rtl: bool = False
    # Twilio <Say>: (voice, language) when Twilio can speak it; else callers choose by keypad.
    say: tuple[str, str] | None = None


# The launch locales and the next ones of DESIGN.md. Which of them are served is decided by
# the content that exists (locales/<tag>.yml), not here.
LANGUAGES: dict[str, Language] = {
    lang.tag: lang
    for lang in (
        Language("en", "en", "ENGLISH", say=("alice", "en-US")),
        Language("es", "es", "SPANISH", say=("alice", "es-MX")),
        Language("zh-Hant", "zh_Hant", "CHINESE", say=("alice", "zh-TW")),
        Language("zh-Hans", "zh_Hans", "CHINESE", say=("alice", "zh-CN")),
        Language("ko", "ko", "KOREAN", say=("alice", "ko-KR")),
        Language("tl", "fil", "TAGALOG", say=("Google.fil-PH-Standard-A", "fil-PH")),
        Language("vi", "vi", "VIETNAMESE", say=("Google.vi-VN-Standard-A", "vi-VN")),
        Language("hy", "hy", "ARMENIAN"),
        Language("fa", "fa", "PERSIAN", rtl=True),
        Language("ru", "ru", "RUSSIAN", say=("alice", "ru-RU")),
        Language("ja", "ja", "JAPANESE", say=("alice", "ja-JP")),
        Language("th", "th", "THAI", say=("Google.th-TH-Standard-A", "th-TH")),
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


def day_names(tag: str) -> list[str]:
    """Abbreviated weekday names, Monday first, in the language (babel's CLDR data)."""
    names = Locale.parse(LANGUAGES[tag].babel_id).days["format"]["abbreviated"]
    return [names[day] for day in range(7)]


def english_name(tag: str) -> str:
    """The language's name in English ("Persian"), for callers who cannot be spoken to in it."""
    return Locale.parse(LANGUAGES[tag].babel_id).get_display_name("en") or tag


def direction(tag: str) -> str:
    """'rtl' or 'ltr'."""
    language = LANGUAGES.get(tag)
    return "rtl" if language and language.rtl else "ltr"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Names residents use that CLDR does not list; "zh" means Chinese without a script.
_EXTRA_NAMES = {
    "farsi": "fa", "mandarin": "zh", "zhongwen": "zh", "cantonese": "zh-Hant", "廣東話": "zh-Hant", "广东话": "zh-Hant",
    "粵語": "zh-Hant", "粤语": "zh-Hant", "國語": "zh-Hant", "普通話": "zh-Hant", "普通话": "zh-Hans", "国语": "zh-Hans",
    "繁體": "zh-Hant", "繁体": "zh-Hant", "正體": "zh-Hant", "简体": "zh-Hans", "簡體": "zh-Hans", "번체": "zh-Hant",
    "간체": "zh-Hans", "taglish": "tl", "filipino": "tl", "hangul": "ko", "nihongo": "ja", "russkiy": "ru",
    "hayeren": "hy", "farsi please": "fa",
}
_UNSPACED = ("han", "kana", "thai", "hangul")  # scripts whose words take particles or no spaces


@functools.lru_cache(maxsize=16)
def _names(served: tuple[str, ...]) -> dict[str, str]:
    """Every name of each served language, in every served language, folded: name -> tag."""
    names: dict[str, str] = {}
    for tag in served:
        language_ids = {LANGUAGES[tag].babel_id, LANGUAGES[tag].babel_id.split("_")[0], tag.split("-")[0]}
        for shown_in in served:
            cldr = Locale.parse(LANGUAGES[shown_in].babel_id).languages
            for language_id in language_ids:
                display = cldr.get(language_id)
                if display:
                    # The bare "zh" name ("中文", "Chinese") does not say which script.
                    names[_fold(display)] = "zh" if language_id == "zh" else tag
        names[_fold(endonym(tag))] = tag
    for name, tag in _EXTRA_NAMES.items():
        if tag == "zh" or tag in served:
            names[_fold(name)] = tag
    return names


def _name_pattern(name: str) -> str:
    """A regex finding `name` in folded text: whole words in spaced scripts, allowing case endings."""
    first, last = script_of(name[0]), script_of(name[-1])
    left = "" if first in _UNSPACED else r"(?<!\w)"
    if last in _UNSPACED:
        return left + re.escape(name)
    if len(name) >= 6 and any("\u0400" <= c <= "\u058f" for c in name):  # Cyrillic, Armenian: "на русском"
        return left + re.escape(name[:-2]) + r"\w{0,4}(?!\w)"
    return left + re.escape(name) + r"(?!\w)"


def named_language(text: str, served: Iterable[str], current: str | None = None) -> str | None:
    """The served language a message names ("español", "in English please"), the last one named.

    >>> served = list(LANGUAGES)
    >>> named_language("can you answer in Vietnamese?", served), named_language("請用廣東話", served)
    ('vi', 'zh-Hant')
    >>> named_language("на русском, пожалуйста", served), named_language("한국어로 해주세요", served)
    ('ru', 'ko')
    >>> named_language("我想用中文", served), named_language("Chinese please", served, current="zh-Hant")
    ('zh-Hans', 'zh-Hant')
    """
    served_set = set(served)
    names = _names(tuple(sorted(served_set)))
    folded = _fold(text)
    # A bare tag counts only as the whole message: "en" and "es" are also common words.
    whole = normalize(folded.strip(" .!?"))
    if whole in served_set and len(folded.strip(" .!?")) <= 7:
        return whole
    found: list[tuple[int, int, str]] = []
    for name, tag in names.items():
        for match in re.finditer(_name_pattern(name), folded):
            found.append((match.start(), len(name), tag))
    if not found:
        return None
    tag = max(found)[2]
    if tag == "zh":
        tag = chinese_script(text, current)
    return tag if tag in served_set else None


@functools.lru_cache(maxsize=32)
def _detector(lingua_names: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from lingua import Language as LinguaLanguage
    from lingua import LanguageDetectorBuilder

    languages = {getattr(LinguaLanguage, name) for name in lingua_names}
    if len(languages) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*languages).build()


_CANTONESE = set("嘅係唔咗冇佢哋咩嚟喺啲嗰")  # written Cantonese: the LA community writes it in Traditional


def chinese_script(text: str, current: str | None = None, nlu_dir: Path | None = None) -> str:
    """'zh-Hant' or 'zh-Hans' for Chinese text, by its characters (hanzidentifier).

    >>> chinese_script("我該怎麼辦"), chinese_script("我该怎么办"), chinese_script("佢喺度")
    ('zh-Hant', 'zh-Hans', 'zh-Hant')
    """
    import hanzidentifier

    found = hanzidentifier.identify(text)
    if found == hanzidentifier.TRADITIONAL:
        return "zh-Hant"
    if found == hanzidentifier.SIMPLIFIED:
        return "zh-Hans"
    if found == hanzidentifier.MIXED:
        traditional = sum(1 for c in text if hanzidentifier.is_traditional(c) and not hanzidentifier.is_simplified(c))
        simplified = sum(1 for c in text if hanzidentifier.is_simplified(c) and not hanzidentifier.is_traditional(c))
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    # Only characters both scripts share: keep the conversation's script; else ask what our
    # data learned (Cantonese words, Taiwanese usage); else written Cantonese means Traditional.
    if current in ("zh-Hant", "zh-Hans"):
        return current
    learned = _learned(langid.han_only(text), ("zh-Hans", "zh-Hant"), nlu_dir, "han")
    if learned:
        return max(learned, key=learned.__getitem__)
    return "zh-Hant" if _CANTONESE & set(text) else "zh-Hans"


def _learned(text: str, tags: tuple[str, ...], nlu_dir: Path | None, view: str) -> dict[str, float] | None:
    """Probabilities of `tags` from the classifier trained on our own data, if there is data."""
    if nlu_dir is None or len(tags) < 2 or not text:
        return None
    model = langid.classifier(nlu_dir, langid.available(nlu_dir, tags), view)
    return model.probabilities(text) if model else None


# The script a letter is written in decides the language when only one of ours uses it;
# lingua then only separates languages that share a script (Latin; Chinese and Japanese Han).
_SCRIPT_TAGS = {
    "HIRAGANA": ("ja",), "KATAKANA": ("ja",), "HANGUL": ("ko",), "THAI": ("th",), "ARMENIAN": ("hy",),
    "ARABIC": ("fa",), "CYRILLIC": ("ru",), "CJK": ("zh-Hant", "zh-Hans", "ja"),
}


def _script(letter: str) -> str:
    return unicodedata.name(letter, "UNKNOWN").split()[0]


def _lingua(text: str, tags: tuple[str, ...]) -> dict[str, float]:
    """lingua's confidence for each of `tags` (languages it knows once, such as Chinese, share it)."""
    detector = _detector(tuple(sorted({LANGUAGES[t].lingua for t in tags})))
    if detector is None:
        return {tags[0]: 1.0}
    values = {v.language.name: v.value for v in detector.compute_language_confidence_values(text)}
    return {t: values.get(LANGUAGES[t].lingua, 0.0) for t in tags}


def _latin(text: str, served: tuple[str, ...], nlu_dir: Path | None) -> tuple[str, float] | None:
    """Text in Latin letters: English, Spanish, Tagalog, Vietnamese, or a romanized language.

    lingua scores the languages written in Latin letters; our data's classifier scores those
    too (Taglish, Vietnamese without accents) and is alone in knowing romanized Chinese,
    Farsi, Russian or Armenian ("chto delat esli ICE prishli").
    """
    native = tuple(t for t in served if not any(t in tags for tags in _SCRIPT_TAGS.values()))
    scores = _lingua(text, native) if native else {}
    learned = _learned(text, served, nlu_dir, "latin")
    if learned:
        scores = {
            t: (1 - LEARNED_WEIGHT) * scores[t] + LEARNED_WEIGHT * p if t in scores else p
            for t, p in learned.items()
        } | {t: (1 - LEARNED_WEIGHT) * v for t, v in scores.items() if t not in learned}
    if not scores:
        return None
    best = max(scores, key=scores.__getitem__)
    return best, scores[best]


def detect(text: str, served: Iterable[str], current: str | None = None, nlu_dir: Path | None = None) -> tuple[str, float] | None:
    """The most likely served language of `text` and its confidence, or None without letters.

    `nlu_dir` (the training data, data/nlu) adds a classifier learned from it to lingua, for
    languages that share a script; without it, lingua and the script decide alone.

    >>> served, nlu = list(LANGUAGES), Path("data/nlu")
    >>> [detect(t, served, nlu_dir=nlu)[0] for t in ("咩係judicial warrant", "rapid responseの番号", "ICE lai le zen me ban")]
    ['zh-Hant', 'ja', 'zh-Hans']
    """
    served_tags = tuple(sorted(served))
    scripts = Counter(_script(c) for c in text if c.isalpha())
    if not scripts or not served_tags:
        return None
    others = {s: n for s, n in scripts.items() if s in _SCRIPT_TAGS and any(t in served_tags for t in _SCRIPT_TAGS[s])}
    if others:  # a resident mixing English words into Chinese or Farsi is writing Chinese or Farsi
        script = "KATAKANA" if "HIRAGANA" in others or "KATAKANA" in others else max(others, key=others.__getitem__)
        tags = tuple(t for t in _SCRIPT_TAGS[script] if t in served_tags)
        if script == "CJK" and "ja" in tags and len(tags) > 1:  # Han only: Chinese or Japanese kanji
            chinese = tuple(t for t in tags if t != "ja")
            tags = ("ja",) if _lingua(text, ("ja", chinese[0]))["ja"] > 0.5 else chinese
        if len(tags) > 1:  # both Chinese scripts
            return chinese_script(text, current, nlu_dir), 1.0
        return tags[0], 1.0
    guess = _latin(text, served_tags, nlu_dir)
    if guess and guess[0] in ("zh-Hant", "zh-Hans") and current in ("zh-Hant", "zh-Hans"):
        return current, guess[1]  # pinyin does not say which script the resident reads
    return guess


@dataclass(frozen=True)
class Choice:
    """The language to answer in, and why."""

    lang: str
    reason: str  # "explicit", "named", "detected", "sticky" or "default"


def choose(
    text: str,
    current: str | None,
    served: Iterable[str],
    explicit: str | None = None,
    nlu_dir: Path | None = None,
    chosen: bool = False,
) -> Choice:
    """Decide the reply language for one message of a conversation (see `detect` for `nlu_dir`).

    `chosen` says the resident picked `current` themselves (menu, name, widget): then only
    another explicit choice changes it, so "answer in Vietnamese" sticks even when they go on
    typing in English. Otherwise a confident sentence in another language switches.
    """
    served_set = set(served)
    wanted = normalize(explicit)
    if wanted in served_set:
        return Choice(wanted, "explicit")
    if text.startswith("/"):  # a button payload names an intent, not a language
        return Choice(current or DEFAULT_LOCALE, "sticky" if current else "default")
    words = count_words(text)
    named = named_language(text, served_set, current)
    if named and words <= 6:
        return Choice(named, "named")
    if current in served_set and chosen:
        return Choice(current, "sticky")
    guess = detect(text, served_set, current, nlu_dir)
    if current in served_set:
        if guess and guess[0] != current and words >= SWITCH_MIN_WORDS and guess[1] >= SWITCH_MIN_CONFIDENCE:
            return Choice(guess[0], "detected")
        return Choice(current, "sticky")
    if guess and guess[1] >= FIRST_MIN_CONFIDENCE:
        return Choice(guess[0], "detected")
    return Choice(DEFAULT_LOCALE, "default")


# One message in each kind of script we serve. The first use of each loads a segmenter
# (jieba, newmm), lingua's models or the language names, and trains our classifier: seconds
# that no resident should wait (see warm_up).
SAMPLES = ("hello", "hola", "你好", "こんにちは", "สวัสดี", "안녕하세요", "سلام", "привет", "բարեւ", "xin chào")


def warm_up(nlu_dir: Path | None = None) -> None:
    """Load everything `choose` needs, once, before the first resident's message."""
    for text in SAMPLES:
        choose(text, None, list(LANGUAGES), nlu_dir=nlu_dir)
