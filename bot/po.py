"""Translate the answer content in gettext PO files: export a locale, import the translator's work.

Each answer form and label is one message: the context names its meaning (``rights.warrant.sms``
or ``menu.find_legal_help``), the msgid is the English text and the msgstr the translation. A
translation that is missing or was made from an older English text is flagged fuzzy, and fuzzy
messages are never imported. Import writes into ``locales/<locale>.yml`` keeping its comments and
layout (ruamel.yaml round trip) and puts the file back as it was when the loader rejects the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString, ScalarString

from bot.content import CHANNELS, SOURCE_LOCALE, ContentError, load_catalog, placeholders, source_version
from bot.settings import PROJECT_ROOT
from bot.stamp import round_trip_yaml

__all__ = ["ImportResult", "export_po", "import_po"]

SMS_FOLD_WIDTH = 86  # folds most of the hand-written `>-` SMS blocks exactly where they are
PLACEHOLDER_NOTE = "Placeholders (keep exactly): "
HEADER = (
    "# Translation of the kyr311 answers; the English source is locales/en.yml.\n"
    "# Keep every {placeholder}. A fuzzy message is not imported: check it, then remove the flag."
)


@dataclass
class ImportResult:
    """What an import did: keys whose entry changed, and messages it left out (by context)."""

    changed: list[str] = field(default_factory=list)
    skipped_fuzzy: list[str] = field(default_factory=list)
    skipped_outdated: list[str] = field(default_factory=list)  # msgid no longer the English text


@dataclass(frozen=True)
class _Unit:
    """One translatable text of the English source: an answer form or a label (channel None)."""

    context: str
    key: str
    channel: str | None
    english: str
    version: str  # source_version of the whole English entry


def _text(raw: Any) -> str:
    """The text of an answer form or a label (a label may be a mapping with 'text')."""
    return str((raw.get("text") if isinstance(raw, dict) else raw) or "").strip()


def _units(source: Any) -> dict[str, _Unit]:
    """Every message of the English source by context, answers first, in file order."""
    units: dict[str, _Unit] = {}
    for key, raw in (source.get("answers") or {}).items():
        texts = {channel: _text(raw.get(channel)) for channel in CHANNELS}
        for channel in CHANNELS:
            units[f"{key}.{channel}"] = _Unit(f"{key}.{channel}", key, channel, texts[channel], source_version(texts))
    for key, raw in (source.get("labels") or {}).items():
        units[key] = _Unit(key, key, None, _text(raw), source_version(_text(raw)))
    return units


def _translation(target: Any, unit: _Unit) -> tuple[str, str]:
    """The current translation of `unit` and the source version it records ("" when unknown)."""
    entry = (target.get("answers" if unit.channel else "labels") or {}).get(unit.key)
    if not isinstance(entry, dict):
        return ("", "") if unit.channel else (_text(entry), "")
    return _text(entry.get(unit.channel or "text")), str(entry.get("source_version", ""))


def _load(path: Path) -> Any:
    return round_trip_yaml().load(path.read_text(encoding="utf-8"))


def export_po(locales_dir: Path, locale: str, out: Path) -> int:
    """Write the PO file of `locale` to `out`; return the number of messages.

    A locale without a file yet gets every message untranslated, ready for a new language.
    """
    path = locales_dir / f"{locale}.yml"
    target = _load(path) if path.exists() else {}
    catalog = Catalog(locale=locale, project="kyr311", header_comment=HEADER, fuzzy=False)
    for unit in _units(_load(locales_dir / f"{SOURCE_LOCALE}.yml")).values():
        text, version = _translation(target, unit)
        names = ", ".join(f"{{{name}}}" for name in dict.fromkeys(placeholders(unit.english)))
        comments = [PLACEHOLDER_NOTE + names] if names else []
        flags = ["fuzzy"] if not text or version != unit.version else []
        catalog.add(unit.english, text, context=unit.context, auto_comments=comments, flags=flags)
    with out.open("wb") as handle:
        write_po(handle, catalog)
    return len(catalog)


def _read(po: Path, locale: str, units: dict[str, _Unit], result: ImportResult) -> dict[str, str]:
    """The translations in `po` to import, by context; record in `result` the messages left out."""
    try:
        with po.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (PoFileError, UnicodeDecodeError) as exc:
        raise ContentError(f"{po.name}: not a valid PO file ({exc}); export it again and copy the translations over") from None
    if (catalog.locale_identifier or locale).replace("-", "_") != locale.replace("-", "_"):
        raise ContentError(f"{po.name}: its Language is {catalog.locale_identifier!r}, not {locale!r}; import it for that language")
    messages = [m for m in catalog if m.id]  # not the header
    unknown = sorted(str(m.context or m.id)[:60] for m in messages if m.context not in units)
    if unknown:
        raise ContentError(f"{po.name}: unknown contexts {unknown}; export a fresh PO file from the current content")
    usable: dict[str, str] = {}
    for message in messages:
        context, text = str(message.context), str(message.string).strip()
        if message.fuzzy:
            result.skipped_fuzzy.append(context)
        elif message.id != units[context].english:
            result.skipped_outdated.append(context)
        elif text:
            usable[context] = text
    return usable


def _scalar(old: Any, text: str, default: type[str]) -> str:
    """`text` in the YAML style of the value it replaces (`default` for a new one), so the file keeps its layout."""
    if old is None:
        old = default("\n" if default is LiteralScalarString else "")
    style = type(old) if isinstance(old, ScalarString) else str
    value = style(text + "\n" if str(old).endswith("\n") else text)  # keeps `|` vs `|-`, `>` vs `>-`
    if isinstance(value, FoldedScalarString):
        value.fold_pos = _fold_positions(text)  # type: ignore[attr-defined]
    return value


def _fold_positions(text: str) -> list[int]:
    """The spaces to fold a `>` block at, filling lines up to SMS_FOLD_WIDTH characters.

    >>> _fold_positions("Call {hotline} now"), _fold_positions("word " * 40)
    ([], [84, 169])
    """
    # ruamel folds only at a single space between two non-spaces; it has no wrapping of its own.
    spaces = [i for i in range(1, len(text) - 1) if text[i] == " " and text[i - 1] != " " and text[i + 1] != " "]
    folds: list[int] = []
    start, previous = 0, -1
    for position in [*spaces, len(text)]:
        if position - start > SMS_FOLD_WIDTH and previous > start:
            folds.append(previous)
            start = previous + 1
        previous = position
    return folds


def _apply(section: Any, key: str, texts: dict[str, str | None], version: str | None, label: bool) -> bool:
    """Write the usable `texts` of one entry and, with `version`, stamp it; return whether it changed."""
    entry = section.get(key)
    if not isinstance(entry, dict):  # a missing answer, or a label written as bare text
        entry = section[key] = CommentedMap([("text", entry)] if label and entry is not None else [])
    changed = False
    for name, text in texts.items():
        if text is not None and text != _text(entry.get(name)):
            default = DoubleQuotedScalarString if label else LiteralScalarString if name == "web" else FoldedScalarString
            entry[name] = _scalar(entry.get(name), text, default)
            changed = True
    changed |= version is not None and entry.get("source_version") != version
    if not changed:
        return False
    for position, name, value in ((int(label), "source_version", version), (int(label) + 1, "status", "draft")):
        if value is not None and name in entry:
            entry[name] = value
        elif value is not None:  # next to the other bookkeeping, where a translator looks first
            entry.insert(min(position, len(entry)), name, value)
    entry.pop("reviewed_by", None)  # whoever reviewed the entry did not review this text
    return True


def _write(target: Any, units: dict[str, _Unit], usable: dict[str, str]) -> list[str]:
    """Put the usable translations into the loaded translation file; return the keys changed."""
    changed = []
    for unit in units.values():
        if unit.channel not in (None, CHANNELS[0]):
            continue  # an answer is written once, at its first form
        texts = {c: usable.get(f"{unit.key}.{c}") for c in CHANNELS} if unit.channel else {"text": usable.get(unit.key)}
        version = unit.version if all(texts.values()) else None
        section = target["answers" if unit.channel else "labels"]
        if any(texts.values()) and _apply(section, unit.key, texts, version, label=unit.channel is None):
            changed.append(unit.key)
    return changed


def import_po(locales_dir: Path, locale: str, po: Path, directory_dir: Path | None = None) -> ImportResult:
    """Write the translations of `po` into `locales/<locale>.yml`; on content the loader rejects, change nothing.

    A message is imported when it is not fuzzy, has a translation and its msgid is still the English
    text. An answer is stamped with the current English version only when both its forms are.
    Raise ContentError, leaving the file as it was, for an unknown context or invalid result.
    """
    path = locales_dir / f"{locale}.yml"
    if locale == SOURCE_LOCALE or not path.is_file():
        raise ContentError(f"{path.name}: not a translation file; import into an existing locales/<locale>.yml other than the source")
    units = _units(_load(locales_dir / f"{SOURCE_LOCALE}.yml"))
    result = ImportResult()
    usable = _read(po, locale, units, result)
    original = path.read_bytes()
    yaml = round_trip_yaml()
    target = yaml.load(original.decode("utf-8"))
    result.changed = _write(target, units, usable)
    if not result.changed:
        return result
    buffer = io.StringIO()
    yaml.dump(target, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    beside = locales_dir.parent / "data" / "directory"
    try:
        load_catalog(locales_dir, directory_dir or (beside if beside.is_dir() else PROJECT_ROOT / "data" / "directory"))
    except BaseException as exc:
        path.write_bytes(original)
        if isinstance(exc, ContentError):
            raise ContentError(f"{po.name} was not imported; {path.name} is unchanged:\n{exc}") from None
        raise
    return result
