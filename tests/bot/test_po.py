"""PO export and import of the answer content: real round trips on copies of the shipped files."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.content import ContentError, load_catalog
from bot.po import export_po, import_po

NEW_SMS = (
    "Una orden judicial nombra a una corte y la firma un juez. Las formas I-200 o I-205 de ICE las firma "
    "un oficial, no un juez. Pida verla por debajo de la puerta. Ayuda legal: {hotline}"
)


def read_catalog(po: Path) -> Catalog:
    with po.open("rb") as handle:
        return read_po(handle)


def save_catalog(po: Path, catalog: Catalog) -> None:
    with po.open("wb") as handle:
        write_po(handle, catalog)


def message(catalog: Catalog, context: str) -> Message:
    return next(m for m in catalog if m.context == context)


def translate(po: Path, context: str, text: str, fuzzy: bool = False) -> None:
    """Act as the translator: write `text` for `context`, confirmed unless `fuzzy`."""
    catalog = read_catalog(po)
    found = message(catalog, context)
    found.string = text
    if fuzzy:
        found.flags.add("fuzzy")
    else:
        found.flags.discard("fuzzy")
    save_catalog(po, catalog)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} not once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_exporting_then_importing_unchanged_changes_nothing(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    before = (locales / "es.yml").read_bytes()
    po = tmp_path / "es.po"
    english = load(locales / "en.yml")
    assert export_po(locales, "es", po) == 2 * len(english["answers"]) + len(english["labels"])
    assert not [m.context for m in read_catalog(po) if m.id and (m.fuzzy or not m.string)]
    result = import_po(locales, "es", po, directory)
    assert (result.changed, result.skipped_fuzzy, result.skipped_outdated) == ([], [], [])
    assert (locales / "es.yml").read_bytes() == before


def test_po_round_trip_changes_only_the_edited_answer(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    es_before, en_before = (locales / "es.yml").read_text(encoding="utf-8"), (locales / "en.yml").read_bytes()
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    translate(po, "rights.warrant.sms", NEW_SMS)

    result = import_po(locales, "es", po, directory)

    assert result.changed == ["rights.warrant"]
    es_after = (locales / "es.yml").read_text(encoding="utf-8")
    expected = yaml.safe_load(es_before)
    expected["answers"]["rights.warrant"]["sms"] = NEW_SMS
    assert yaml.safe_load(es_after) == expected
    assert (locales / "en.yml").read_bytes() == en_before
    # Only lines of that SMS block differ; it stays a folded block with the file's line length.
    changed = [line for line in difflib.ndiff(es_before.splitlines(), es_after.splitlines()) if line[:1] in "+-"]
    assert changed and all(line[2:].startswith("      ") for line in changed)
    assert "    sms: >-\n      Una orden judicial nombra a una corte y la firma un juez." in es_after
    added = [line[2:] for line in changed if line.startswith("+")]
    assert len(added) >= 2 and all(len(line) <= 6 + 90 for line in added)
    rendered = load_catalog(locales, directory).render("rights.warrant", "es", "sms")
    assert rendered.text.startswith("Una orden judicial nombra a una corte y la firma un juez.")


def test_editing_english_marks_that_answer_fuzzy_and_import_skips_it(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    edit(locales / "en.yml", "you don't have to open. Legal help: {hotline}", "you do not have to open. Legal help: {hotline}")
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    fuzzy = {m.context for m in read_catalog(po) if m.fuzzy and m.id}
    assert fuzzy == {"rights.warrant.web", "rights.warrant.sms"}
    before = (locales / "es.yml").read_bytes()
    translate(po, "rights.warrant.sms", NEW_SMS, fuzzy=True)

    result = import_po(locales, "es", po, directory)

    assert sorted(result.skipped_fuzzy) == ["rights.warrant.sms", "rights.warrant.web"]
    assert result.changed == []
    assert (locales / "es.yml").read_bytes() == before


def test_an_answer_is_stamped_only_when_both_forms_are_confirmed(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    edit(locales / "en.yml", "you don't have to open. Legal help: {hotline}", "you do not have to open. Legal help: {hotline}")
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    translate(po, "rights.warrant.sms", NEW_SMS)

    assert import_po(locales, "es", po, directory).changed == ["rights.warrant"]
    assert load(locales / "es.yml")["answers"]["rights.warrant"]["sms"] == NEW_SMS
    assert load_catalog(locales, directory).stale("es") == ["rights.warrant"], "the web form is still unconfirmed"

    translate(po, "rights.warrant.web", str(message(read_catalog(po), "rights.warrant.web").string))
    assert import_po(locales, "es", po, directory).changed == ["rights.warrant"]
    assert load_catalog(locales, directory).stale("es") == []


def test_a_translation_made_from_older_english_is_not_imported(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    translate(po, "rights.warrant.sms", NEW_SMS)
    edit(locales / "en.yml", "you don't have to open. Legal help: {hotline}", "you do not have to open. Legal help: {hotline}")
    before = (locales / "es.yml").read_bytes()

    result = import_po(locales, "es", po, directory)

    assert (result.changed, result.skipped_outdated) == ([], ["rights.warrant.sms"])
    assert (locales / "es.yml").read_bytes() == before


def test_a_translation_that_drops_a_placeholder_is_refused(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    before = (locales / "es.yml").read_bytes()
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    translate(po, "rights.warrant.sms", NEW_SMS.replace("Ayuda legal: {hotline}", "Busque ayuda legal."))

    with pytest.raises(ContentError, match=r"rights\.warrant \(sms\): placeholders \[\] differ"):
        import_po(locales, "es", po, directory)
    assert (locales / "es.yml").read_bytes() == before


def test_an_unknown_context_is_refused_by_name(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    before = (locales / "es.yml").read_bytes()
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    catalog = read_catalog(po)
    catalog.add("Call us", "Llámenos", context="rights.retired_answer.sms")
    save_catalog(po, catalog)

    with pytest.raises(ContentError, match=r"rights\.retired_answer\.sms"):
        import_po(locales, "es", po, directory)
    assert (locales / "es.yml").read_bytes() == before


def test_a_label_keeps_its_quoting_when_translated(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, directory = content_dirs
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    translate(po, "menu.find_legal_help", "Ayuda legal sin costo")

    assert import_po(locales, "es", po, directory).changed == ["menu.find_legal_help"]
    assert '    text: "Ayuda legal sin costo"\n' in (locales / "es.yml").read_text(encoding="utf-8")
    assert load_catalog(locales, directory).label("menu.find_legal_help", "es") == "Ayuda legal sin costo"


def test_po_file_names_context_english_and_placeholders(content_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    locales, _ = content_dirs
    po = tmp_path / "es.po"
    export_po(locales, "es", po)
    text = po.read_text(encoding="utf-8")
    assert 'msgctxt "rights.warrant.sms"' in text
    assert "#. Placeholders (keep exactly): {hotline}\n" in text
    assert '"Language: es\\n"' in text

    catalog = read_catalog(po)
    english, spanish = load(locales / "en.yml"), load(locales / "es.yml")
    sms = message(catalog, "rights.warrant.sms")
    assert sms.id == english["answers"]["rights.warrant"]["sms"]
    assert sms.string == spanish["answers"]["rights.warrant"]["sms"]
    web = message(catalog, "rights.warrant.web")
    assert web.id == english["answers"]["rights.warrant"]["web"].strip() and "\n" in web.id
    assert message(catalog, "web.last_reviewed").auto_comments == ["Placeholders (keep exactly): {date}"]
    assert message(catalog, "system.empty_message.web").auto_comments == []
    assert str(catalog.locale) == "es"
