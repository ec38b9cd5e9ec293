"""Editor tools over the content: a status table by locale, and a resident's-eye preview.

`status` reads the files as they are, so it works on incomplete content too (a missing
translation is a row, not an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import sms
from bot.content import SOURCE_LOCALE, Catalog, source_version

__all__ = ["Preview", "preview", "status"]

STATES = ("current", "draft", "stale", "missing")


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return data if isinstance(data, dict) else {}


def status(locales_dir: Path) -> dict[str, dict[str, str]]:
    """For each translated locale, each answer and label key's state.

    current: reviewed by a person and made from the current English; draft: made from the
    current English, not reviewed; stale: the English changed since; missing: no translation.
    """
    source = _read(locales_dir / f"{SOURCE_LOCALE}.yml")
    wanted: dict[str, str] = {}
    for key, entry in (source.get("answers") or {}).items():
        wanted[key] = source_version({"web": str(entry.get("web", "")).strip(), "sms": str(entry.get("sms", "")).strip()})
    for key, text in (source.get("labels") or {}).items():
        wanted[key] = source_version(str(text).strip())
    table: dict[str, dict[str, str]] = {}
    for path in sorted(locales_dir.glob("*.yml")):
        if path.stem == SOURCE_LOCALE:
            continue
        data = _read(path)
        entries = {**(data.get("answers") or {}), **(data.get("labels") or {})}
        row = {}
        for key, version in wanted.items():
            entry = entries.get(key)
            if entry is None:
                row[key] = "missing"
            elif not isinstance(entry, dict) or entry.get("source_version") != version:
                row[key] = "stale"
            else:
                row[key] = "current" if entry.get("status") == "reviewed" else "draft"
        table[path.stem] = row
    return table


@dataclass(frozen=True)
class Preview:
    """What a resident would see, and what it costs as SMS."""

    text: str
    lang: str
    channel: str
    encoding: str
    segments: int
    characters: int


def preview(catalog: Catalog, key: str, lang: str, channel: str, extra: dict[str, object] | None = None) -> Preview:
    """Render answer `key` exactly as the channel shows it."""
    rendered = catalog.render(key, lang, channel, extra)
    return Preview(rendered.text, rendered.lang, channel, sms.encoding(rendered.text), sms.segments(rendered.text), len(rendered.text))
