"""Record, in a translation file, the English source version each entry now translates.

Editing keeps the file's comments and layout (ruamel.yaml round trip).
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from bot.content import SOURCE_LOCALE, source_version

__all__ = ["round_trip_yaml", "stamp"]


def round_trip_yaml() -> YAML:
    """A ruamel.yaml round-trip loader and dumper that keeps quotes and long lines."""
    yaml = YAML()
    yaml.preserve_quotes = True  # type: ignore[assignment]
    yaml.width = 4096  # type: ignore[assignment]
    return yaml


def stamp(locales_dir: Path, locale: str, reviewed_by: str | None = None) -> int:
    """Stamp every answer and label of `locale` with the current source version; return the count.

    With `reviewed_by`, each entry is also marked reviewed, naming the reviewer.
    """
    yaml = round_trip_yaml()
    source = yaml.load((locales_dir / f"{SOURCE_LOCALE}.yml").read_text(encoding="utf-8"))
    path = locales_dir / f"{locale}.yml"
    target = yaml.load(path.read_text(encoding="utf-8"))
    count = 0
    for key, entry in target.get("answers", {}).items():
        if key in source["answers"]:
            original = source["answers"][key]
            version = source_version({"web": str(original["web"]).strip(), "sms": str(original["sms"]).strip()})
            if "source_version" in entry:
                entry["source_version"] = version
            else:  # next to the status, where a translator looks first
                entry.insert(0, "source_version", version)
            if reviewed_by:
                entry["status"] = "reviewed"
                entry["reviewed_by"] = reviewed_by
            count += 1
    labels = target.get("labels", {})
    for key in list(labels):
        if key in source["labels"]:
            text = labels[key]["text"] if isinstance(labels[key], dict) else labels[key]
            version = source_version(str(source["labels"][key]).strip())
            entry = {"text": text, "source_version": version, "status": "reviewed" if reviewed_by else "draft"}
            labels[key] = entry
            count += 1
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(target, handle)
    return count
