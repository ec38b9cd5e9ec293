"""`kyr311 content status` and `preview`, through the CLI and the functions behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import load_catalog
from bot.content_tools import preview, status


def test_status_is_draft_for_the_shipped_spanish(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, _ = content_dirs
    assert set(status(locales)["es"].values()) == {"draft"}


def test_status_names_stale_missing_and_current(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, _ = content_dirs
    en, es = locales / "en.yml", locales / "es.yml"
    en.write_text(en.read_text(encoding="utf-8").replace("You're welcome. Anything else?", "You're welcome!"), encoding="utf-8")
    text = es.read_text(encoding="utf-8")
    start, end = text.index("  conversation.deny:"), text.index("  conversation.bot_challenge:")
    es.write_text(text[:start] + text[end:], encoding="utf-8")
    row = status(locales)["es"]
    assert row["conversation.thank"] == "stale" and row["conversation.deny"] == "missing"
    assert row["urgent.emergency"] == "draft"


def test_status_json_through_the_cli(content_dirs, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    _use(content_dirs, monkeypatch)
    assert main(["content", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["es"]["rights.warrant"] == "draft"


def test_preview_shows_the_sms_with_its_cost(content_dirs, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    _use(content_dirs, monkeypatch)
    assert main(["content", "preview", "rights.warrant", "--lang", "es", "--channel", "sms"]) == 0
    out = capsys.readouterr().out
    assert "888-624-4752" in out and "UCS-2" in out and "{hotline}" not in out
    assert main(["content", "preview", "no.such.topic"]) == 1


def test_preview_counts_gsm_for_plain_english(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    shown = preview(load_catalog(locales, directory), "urgent.emergency", "en", "sms")
    assert shown.encoding == "GSM-7" and 1 <= shown.segments <= 5 and shown.characters == len(shown.text)


def _use(content_dirs, monkeypatch) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    monkeypatch.setenv("KYR_LOCALES_DIR", str(locales))
    monkeypatch.setenv("KYR_DIRECTORY_DIR", str(directory))
    monkeypatch.setenv("KYR_VAR_DIR", str(Path(locales).parent / "var"))
    return locales, directory


def test_check_passes_on_good_content_and_fails_naming_the_problem(content_dirs, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    locales, _ = _use(content_dirs, monkeypatch)
    assert main(["content", "check"]) == 0
    assert "Content check passed." in capsys.readouterr().out
    es = locales / "es.yml"
    es.write_text(es.read_text(encoding="utf-8").replace("{detainee_locator}", ""), encoding="utf-8")
    assert main(["content", "check"]) == 1
    err = capsys.readouterr().err
    assert "[es] rights.detained (web): placeholders" in err and "use exactly the source's" in err


def test_preview_on_broken_content_says_why_instead_of_showing_it(content_dirs, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    locales, _ = _use(content_dirs, monkeypatch)
    en = locales / "en.yml"
    en.write_text(en.read_text(encoding="utf-8").replace("  rights.warrant:\n", "  rights.warrant:\n   : [oops\n"), encoding="utf-8")
    assert main(["content", "preview", "rights.warrant"]) == 1
    assert "not valid YAML" in capsys.readouterr().err


def test_po_export_and_import_through_the_cli(content_dirs, monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from babel.messages.pofile import read_po, write_po

    locales, _ = _use(content_dirs, monkeypatch)
    po = tmp_path / "es.po"
    assert main(["content", "export-po", "--lang", "es", "--out", str(po)]) == 0
    with po.open("rb") as handle:
        catalog = read_po(handle)
    message = catalog.get("You're welcome. Anything else?", context="conversation.thank.sms")
    assert message is not None and message.string == "De nada. ¿Algo más?"
    message.string = "De nada. ¿Algo más en que le ayude?"
    with po.open("wb") as handle:
        write_po(handle, catalog)
    before = (locales / "es.yml").read_text(encoding="utf-8")
    assert main(["content", "import-po", "--lang", "es", str(po)]) == 0
    assert "updated conversation.thank" in capsys.readouterr().out
    after = (locales / "es.yml").read_text(encoding="utf-8")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["      De nada. ¿Algo más en que le ayude?"]


def test_stamp_through_the_cli_clears_staleness_and_refuses_a_missing_locale(content_dirs, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    locales, _ = _use(content_dirs, monkeypatch)
    en = locales / "en.yml"
    en.write_text(en.read_text(encoding="utf-8").replace("You're welcome. Anything else?", "You're welcome!"), encoding="utf-8")
    assert status(locales)["es"]["conversation.thank"] == "stale"
    assert main(["content", "stamp", "--lang", "es"]) == 0
    assert status(locales)["es"]["conversation.thank"] == "draft"
    assert main(["content", "stamp", "--lang", "km"]) == 1
    assert "No translation file locales/km.yml" in capsys.readouterr().err
