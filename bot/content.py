"""The answer content: loading, validation, source versions and rendering.

English (`locales/en.yml`) is the source. Every other locale has exactly its keys and
placeholders, and records the `source_version` of the English text it translates.
Placeholder values (phone numbers, web addresses) come from `data/directory/contacts.yml`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import sms
from bot.choices import keywords

__all__ = [
    "SOURCE_LOCALE",
    "Answer",
    "Catalog",
    "ContentError",
    "LocaleContent",
    "Rendered",
    "load_catalog",
    "placeholders",
    "source_version",
]

SOURCE_LOCALE = "en"
CHANNELS = ("web", "sms")
KINDS = ("legal", "info")
STATUSES = ("draft", "reviewed")
SMS_SEGMENT_BUDGET = 5
LEGAL_HELP_PLACEHOLDER = "hotline"
# Values the software supplies at render time, next to the directory's contacts.
RUNTIME_PLACEHOLDERS = {
    "retention_days": "30", "max_chars": "1600", "date": "2026-01-01",
    "number": "1", "choice": "English", "digit": "1", "url": "https://311.example/chat?lang=en", "language": "English",
    # Resources and reports: a typical three-entry list, a place, a department, a summary.
    "place": "Boyle Heights", "department": "Recreation and Parks", "code": "KYR-7KQM-3XPA", "miles": "2.4",
    "list": "• L.A. Rapid Response Hotline 888-624-4752, open 24 hours • 211 LA, 2-1-1 • County Office of Immigrant Affairs 800-593-8222",
    "summary": "What: agents at the park. Where: MacArthur Park. When: now.", "value": "MacArthur Park",
}
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$")
# A contact is a US phone number (888-624-4752), a short code (311, 988, 741741) or a web address.
_CONTACT = re.compile(r"^(\d{3}-\d{3}-\d{4}|\d{3}|\d{6}|[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/[^\s]*)?)$")
_INLINE_PHONE = re.compile(r"\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b")
_INLINE_WEB = re.compile(r"\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:org|gov|com|net|us|info)\b", re.IGNORECASE)


class ContentError(ValueError):
    """Content that must not be served; the message names file, key and the fix."""


@dataclass(frozen=True)
class Answer:
    """One answer in one locale."""

    key: str
    web: str
    sms: str
    kind: str
    status: str
    sources: tuple[str, ...] = ()
    last_reviewed: str = ""
    source_version: str = ""


@dataclass(frozen=True)
class LocaleContent:
    """All answers and labels of one locale."""

    locale: str
    path: Path
    answers: dict[str, Answer]
    labels: dict[str, str]
    label_versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    """An answer ready to show: placeholders filled for one channel."""

    key: str
    lang: str
    text: str
    sources: tuple[str, ...]
    last_reviewed: str
    status: str


def placeholders(text: str) -> list[str]:
    """Named placeholders in `text`, in order; raise ValueError on unbalanced braces.

    >>> placeholders("Call {hotline} or {city_311}")
    ['hotline', 'city_311']
    """
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def source_version(answer: Mapping[str, Any] | str) -> str:
    """A short hash of the translatable text of a source answer or label.

    >>> source_version({"web": "Hi", "sms": "Hi"})
    '68c0b2fc5c1e'
    """
    payload = {c: answer.get(c, "") for c in CHANNELS} if isinstance(answer, Mapping) else answer
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


def _line_of(path: Path, key: str) -> int:
    """The line where `key:` is written in `path` (1-based), or 0 when not found."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if pattern.match(line):
            return number
    return 0


def _where(path: Path, key: str) -> str:
    line = _line_of(path, key)
    return f"{path.name}:{line}" if line else path.name


# libyaml's safe loader when PyYAML has it (the wheels do): about ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark else path.name
        raise ContentError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the indentation or quoting") from None
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: must be a mapping with 'locale', 'answers' and 'labels'")
    return data


def _parse_answer(path: Path, locale: str, key: str, raw: Any, source: Answer | None) -> Answer:
    where = f"{_where(path, key)} [{locale}] {key}"
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: must be a mapping with 'web' and 'sms'")
    texts = {}
    for channel in CHANNELS:
        text = raw.get(channel)
        if not isinstance(text, str) or not text.strip():
            raise ContentError(f"{where}: '{channel}' is missing or empty; write the {channel} form of the answer")
        texts[channel] = text.strip()
    status = raw.get("status", "draft")
    if status not in STATUSES:
        raise ContentError(f"{where}: status must be one of {', '.join(STATUSES)}, got {status!r}")
    if source is None:
        kind = raw.get("kind")
        if kind not in KINDS:
            raise ContentError(f"{where}: kind must be one of {', '.join(KINDS)}")
        sources = raw.get("sources") or []
        reviewed = raw.get("last_reviewed")
        if kind == "legal":
            if not sources or not all(isinstance(s, str) and _URL.match(s) for s in sources):
                raise ContentError(f"{where}: a legal answer needs 'sources', a list of http(s) addresses")
            if not isinstance(reviewed, dt.date):
                raise ContentError(f"{where}: a legal answer needs 'last_reviewed' as a date (YYYY-MM-DD)")
        return Answer(key, texts["web"], texts["sms"], kind, status, tuple(sources), str(reviewed or ""))
    version = raw.get("source_version", "")
    if not isinstance(version, str):
        raise ContentError(f"{where}: source_version must be text (run 'kyr311 content stamp')")
    return Answer(key, texts["web"], texts["sms"], source.kind, status, source.sources, source.last_reviewed, version)


def _load_locale(path: Path, source: LocaleContent | None) -> LocaleContent:
    data = _read_yaml(path)
    locale = data.get("locale")
    if locale != path.stem:
        raise ContentError(f"{path.name}: 'locale' must be {path.stem!r}, the file's name, got {locale!r}")
    answers_raw, labels_raw = data.get("answers"), data.get("labels")
    if not isinstance(answers_raw, dict) or not isinstance(labels_raw, dict):
        raise ContentError(f"{path.name}: needs 'answers' and 'labels' mappings")
    answers: dict[str, Answer] = {}
    for key, raw in answers_raw.items():
        answers[key] = _parse_answer(path, locale, key, raw, source.answers.get(key) if source else None)
    labels: dict[str, str] = {}
    versions: dict[str, str] = {}
    for key, raw in labels_raw.items():
        text = raw.get("text") if isinstance(raw, dict) else raw
        if not isinstance(text, str) or not text.strip():
            raise ContentError(f"{_where(path, key)} [{locale}] {key}: a label must be non-empty text")
        labels[key] = text.strip()
        if isinstance(raw, dict):
            version = raw.get("source_version", "")
            if not isinstance(version, str):  # an unquoted all-digit hash, 123456789012, is a number to YAML
                raise ContentError(f"{_where(path, key)} [{locale}] {key}: source_version must be text "
                                   "(run 'kyr311 content stamp')")
            versions[key] = version
    return LocaleContent(locale, path, answers, labels, versions)


def _check_against_source(content: LocaleContent, source: LocaleContent) -> list[str]:
    errors = []
    path, locale = content.path, content.locale
    for kind, mine, theirs in (("answer", content.answers, source.answers), ("label", content.labels, source.labels)):
        for key in sorted(set(theirs) - set(mine)):
            errors.append(f"{path.name} [{locale}] {key}: {kind} missing; translate it from {source.path.name}")
        for key in sorted(set(mine) - set(theirs)):
            errors.append(f"{_where(path, key)} [{locale}] {key}: {kind} not in the source {source.path.name}; remove it")
    shared = [(k, a) for k, a in content.answers.items() if k in source.answers]
    pairs = [(k, c, getattr(a, c), getattr(source.answers[k], c)) for k, a in shared for c in CHANNELS]
    pairs += [(k, "label", t, source.labels[k]) for k, t in content.labels.items() if k in source.labels]
    for key, channel, text, original in pairs:
        if sorted(placeholders(text)) != sorted(placeholders(original)):
            errors.append(
                f"{_where(path, key)} [{locale}] {key} ({channel}): placeholders {sorted(set(placeholders(text)))} "
                f"differ from the source's {sorted(set(placeholders(original)))}; use exactly the source's"
            )
    return errors


def _ends_with_legal_help(text: str, channel: str) -> bool:
    """Web: the last line names the hotline. SMS (one folded line): the text ends with it."""
    mark = f"{{{LEGAL_HELP_PLACEHOLDER}}}"
    if channel == "sms":
        return text.rstrip(" .!").endswith(mark)
    return mark in text.splitlines()[-1]


def _check_locale(content: LocaleContent, values: Mapping[str, str]) -> list[str]:
    errors = []
    for key, answer in content.answers.items():
        where = f"{_where(content.path, key)} [{content.locale}] {key}"
        for channel in CHANNELS:
            text = getattr(answer, channel)
            if _INLINE_PHONE.search(text):
                errors.append(f"{where} ({channel}): a phone number is typed into the text; use its placeholder from contacts.yml")
            if _INLINE_WEB.search(text):
                errors.append(f"{where} ({channel}): a web address is typed into the text; use its placeholder from contacts.yml")
            unknown = sorted(set(placeholders(text)) - set(values))
            if unknown:
                errors.append(f"{where} ({channel}): unknown placeholders {unknown}; use one of {sorted(values)}")
                continue
            if answer.kind == "legal" and not _ends_with_legal_help(text, channel):
                errors.append(f"{where} ({channel}): a legal answer must end with a path to legal help ({{hotline}})")
        if not set(placeholders(answer.sms)) - set(values):
            filled = answer.sms.format_map(dict(values))
            count = sms.segments(filled)
            if count > SMS_SEGMENT_BUDGET:
                errors.append(
                    f"{where} (sms): {count} segments in {sms.encoding(filled)}, over the budget of "
                    f"{SMS_SEGMENT_BUDGET}; shorten it"
                )
    return errors


def _load_values(directory_dir: Path) -> dict[str, str]:
    path = directory_dir / "contacts.yml"
    data = _read_yaml(path).get("contacts")
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: needs a 'contacts' mapping")
    values = dict(RUNTIME_PLACEHOLDERS)
    for name, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str) or not entry.get("source"):
            raise ContentError(f"{_where(path, name)} {name}: needs 'value' (text) and 'source'")
        if not _CONTACT.match(entry["value"]):
            raise ContentError(
                f"{_where(path, name)} {name}: value {entry['value']!r} is not a phone number like 888-624-4752, "
                "a short code like 311, or a web address like example.org"
            )
        if not _URL.match(str(entry["source"])):
            raise ContentError(f"{_where(path, name)} {name}: source must be an http(s) address")
        values[name] = entry["value"]
    return values


class Catalog:
    """Validated content of every locale, ready to render."""

    def __init__(self, locales: dict[str, LocaleContent], values: dict[str, str]) -> None:
        self.locales = locales
        self.values = values

    def render(self, key: str, lang: str, channel: str = "web", extra: Mapping[str, object] | None = None) -> Rendered:
        """Fill the placeholders of answer `key` in `lang` (English when `lang` has no content)."""
        content = self.locales.get(lang) or self.locales[SOURCE_LOCALE]
        answer = content.answers[key]
        values = {**self.values, **{k: str(v) for k, v in (extra or {}).items()}}
        text = (answer.sms if channel == "sms" else answer.web).format_map(values)
        return Rendered(key, content.locale, text, answer.sources, answer.last_reviewed, answer.status)

    def keywords(self, label_key: str) -> frozenset[str]:
        """The keywords of label `label_key` in every locale ("Idioma / Language" gives two)."""
        return keywords(self.label(label_key, lang) for lang in self.locales)

    def label(self, key: str, lang: str, **values: object) -> str:
        """A short interface text (a button title) in `lang`."""
        content = self.locales.get(lang) or self.locales[SOURCE_LOCALE]
        return content.labels[key].format_map({k: str(v) for k, v in values.items()})

    def stale(self, lang: str) -> list[str]:
        """Keys whose translation in `lang` was made from an older English text."""
        source, content = self.locales[SOURCE_LOCALE], self.locales[lang]
        current = {k: source_version({"web": a.web, "sms": a.sms}) for k, a in source.answers.items()}
        stale = [k for k, a in content.answers.items() if a.source_version != current[k]]
        stale += [k for k, v in content.label_versions.items() if v != source_version(source.labels[k])]
        return sorted(stale)


def load_catalog(locales_dir: Path, directory_dir: Path) -> Catalog:
    """Load and validate every locale; raise ContentError listing every problem found."""
    values = _load_values(directory_dir)
    source_path = locales_dir / f"{SOURCE_LOCALE}.yml"
    if not source_path.exists():
        raise ContentError(f"{source_path}: the English source is missing")
    try:
        source = _load_locale(source_path, None)
    except ValueError as exc:
        raise ContentError(str(exc)) from None
    locales = {SOURCE_LOCALE: source}
    try:
        errors = _check_locale(source, values)
    except ValueError as exc:
        raise ContentError(f"{source_path.name}: {exc}") from None
    for path in sorted(locales_dir.glob("*.yml")):
        if path == source_path:
            continue
        try:
            content = _load_locale(path, source)
            errors += _check_against_source(content, source) or _check_locale(content, values)
        except ValueError as exc:  # ContentError, or unbalanced braces from placeholders()
            errors.append(f"{path.name}: {exc}")
            continue
        locales[content.locale] = content
    if errors:
        raise ContentError("\n".join(errors))
    return Catalog(locales, values)
