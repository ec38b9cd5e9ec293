"""Loading and validating the answer content, on the shipped files and on broken copies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import ContentError, load_catalog, placeholders
from bot.settings import PROJECT_ROOT
from bot.stamp import stamp


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_shipped_content_is_valid_and_complete() -> None:
    catalog = load_catalog(PROJECT_ROOT / "locales", PROJECT_ROOT / "data" / "directory")
    assert {"en", "es"} <= set(catalog.locales)
    en, es = catalog.locales["en"], catalog.locales["es"]
    assert set(en.answers) == set(es.answers) and set(en.labels) == set(es.labels)
    assert all(a.status in ("draft", "reviewed") for a in es.answers.values())
    assert catalog.stale("es") == [], "run 'kyr311 content stamp --lang es' after checking the translation"


def test_no_translation_claims_a_review_nobody_did() -> None:
    catalog = load_catalog(PROJECT_ROOT / "locales", PROJECT_ROOT / "data" / "directory")
    for lang, content in catalog.locales.items():
        assert {a.status for a in content.answers.values()} == {"draft"}, lang


def test_every_legal_answer_cites_sources_and_ends_with_legal_help() -> None:
    catalog = load_catalog(PROJECT_ROOT / "locales", PROJECT_ROOT / "data" / "directory")
    legal = [a for a in catalog.locales["en"].answers.values() if a.kind == "legal"]
    assert len(legal) >= 16
    for lang in catalog.locales:
        for answer in legal:
            rendered = catalog.render(answer.key, lang, "web")
            assert rendered.sources and re.match(r"\d{4}-\d{2}-\d{2}$", rendered.last_reviewed)
            for channel in ("web", "sms"):
                last_line = catalog.render(answer.key, lang, channel).text.splitlines()[-1]
                assert "888-624-4752" in last_line, (lang, answer.key, channel)


def test_no_unconfirmed_number_is_published() -> None:
    # content-facts.md marks these UNCONFIRMED or not found: the bot must not state them.
    unconfirmed = ["213-443-1300", "213-201-8700", "385-7800", "315-2659", "385-2977"]
    for path in [*sorted((PROJECT_ROOT / "locales").glob("*.yml")), PROJECT_ROOT / "data" / "directory" / "contacts.yml"]:
        text = path.read_text(encoding="utf-8")
        assert not [n for n in unconfirmed if n in text], path.name


def test_rendering_fills_placeholders_for_each_channel() -> None:
    catalog = load_catalog(PROJECT_ROOT / "locales", PROJECT_ROOT / "data" / "directory")
    web = catalog.render("conversation.privacy", "es", "web", {"retention_days": 14})
    sms = catalog.render("conversation.privacy", "es", "sms", {"retention_days": 14})
    assert web.lang == "es" and "14" in web.text and "{" not in web.text
    assert sms.text != web.text and len(sms.text) < len(web.text)


def test_unknown_locale_falls_back_to_english() -> None:
    catalog = load_catalog(PROJECT_ROOT / "locales", PROJECT_ROOT / "data" / "directory")
    assert catalog.render("conversation.greet", "xx").lang == "en"


def test_bad_yaml_names_the_file_and_line(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "  rights.warrant:\n", "  rights.warrant:\n   : [unclosed\n")
    with pytest.raises(ContentError, match=r"es\.yml:\d+: not valid YAML"):
        load_catalog(locales, directory)


def test_missing_translation_is_named(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    text = (locales / "es.yml").read_text(encoding="utf-8")
    start = text.index("  conversation.thank:")
    end = text.index("  conversation.affirm:")
    (locales / "es.yml").write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ContentError, match=r"\[es\] conversation\.thank: answer missing"):
        load_catalog(locales, directory)


def test_extra_key_in_a_translation_is_named(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "labels:\n", "labels:\n  menu.invented: \"Inventado\"\n")
    with pytest.raises(ContentError, match=r"menu\.invented: label not in the source"):
        load_catalog(locales, directory)


def test_placeholder_mismatch_is_named(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "{detainee_locator}", "{hotline}")
    with pytest.raises(ContentError, match=r"es\.yml:\d+ \[es\] rights\.detained \(web\): placeholders"):
        load_catalog(locales, directory)


def test_unbalanced_brace_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "Por favor, escriba un mensaje.", "Por favor, escriba {un mensaje.")
    with pytest.raises(ContentError, match=r"es\.yml"):
        load_catalog(locales, directory)


def test_unknown_placeholder_in_the_source_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    for name in ("en.yml", "es.yml"):
        edit(locales / name, "{detainee_locator}", "{locator_typo}", count=2)
    with pytest.raises(ContentError, match=r"unknown placeholders \['locator_typo'\]"):
        load_catalog(locales, directory)


def test_legal_answer_without_sources_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "en.yml", "    sources:\n      - https://www.acluidaho.org", "    unsourced:\n      - https://www.acluidaho.org")
    with pytest.raises(ContentError, match=r"rights\.record_agents: a legal answer needs 'sources'"):
        load_catalog(locales, directory)


@pytest.mark.parametrize(
    ("old", "new", "channel"),
    [
        ("      arrested. Legal help: {hotline}", "      arrested. Legal help: {hotline} Good luck.", "sms"),
        ("met force.\n      For legal help", "met force.\n      For legal help, ask around.\n      For legal help", "web"),
    ],
)
def test_legal_answer_must_end_with_legal_help(content_dirs, old: str, new: str, channel: str) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    text = (locales / "en.yml").read_text(encoding="utf-8")
    if channel == "web":  # move the hotline line up, so the answer ends without it
        start = text.index("met force.\n") + len("met force.\n")
        end = text.index("\n", start)
        last = text[start:end]
        text = text[:start] + last + "\n      Good luck." + text[end:]
        (locales / "en.yml").write_text(text, encoding="utf-8")
    else:
        edit(locales / "en.yml", old, new)
    with pytest.raises(ContentError, match=rf"rights\.record_agents \({channel}\): a legal answer must end with a path to legal help"):
        load_catalog(locales, directory)


def test_sms_over_budget_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "    sms: >-\n      De nada. ¿Algo más?", "    sms: >-\n      " + "información " * 40 + "De nada.")
    with pytest.raises(ContentError, match=r"conversation\.thank \(sms\): \d+ segments in UCS-2"):
        load_catalog(locales, directory)


def test_editing_the_source_makes_the_translation_stale_and_stamp_clears_it(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "en.yml", "You're welcome. Anything else?", "You're welcome! Anything else?")
    assert load_catalog(locales, directory).stale("es") == ["conversation.thank"]
    stamp(locales, "es")
    assert load_catalog(locales, directory).stale("es") == []
    assert "status: draft" in (locales / "es.yml").read_text(encoding="utf-8")


def test_placeholders_parse_names_and_reject_stray_braces() -> None:
    assert placeholders("a {x} b {{literal}} {y}") == ["x", "y"]
    with pytest.raises(ValueError):
        placeholders("a {x")


def test_malformed_phone_number_in_the_directory_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(directory / "contacts.yml", '"888-624-4752"', '"888-624-47"')
    with pytest.raises(ContentError, match=r"contacts\.yml:\d+ hotline: value '888-624-47' is not a phone number"):
        load_catalog(locales, directory)


def test_phone_number_typed_into_an_answer_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "De nada. ¿Algo más?", "De nada. Llame al 213-555-0100.")
    with pytest.raises(ContentError, match=r"conversation\.thank \(sms\): a phone number is typed into the text"):
        load_catalog(locales, directory)


def test_stamp_with_a_reviewer_marks_entries_reviewed(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    stamp(locales, "es", reviewed_by="A. Reviewer")
    catalog = load_catalog(locales, directory)
    assert {a.status for a in catalog.locales["es"].answers.values()} == {"reviewed"}
    assert "reviewed_by: A. Reviewer" in (locales / "es.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("address", ["988lifeline.org", "https://example.com/help", "www.lacity.gov"])
def test_web_address_typed_into_an_answer_is_refused(content_dirs, address: str) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "De nada. ¿Algo más?", f"De nada. Vea {address}")
    with pytest.raises(ContentError, match=r"conversation\.thank \(sms\): a web address is typed into the text"):
        load_catalog(locales, directory)


def test_a_label_version_that_yaml_reads_as_a_number_is_refused(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    edit(locales / "es.yml", "    source_version: b0d976e3ea88\n", "    source_version: 123456789012\n")
    with pytest.raises(ContentError, match=r"\[es\] widget\.title: source_version must be text"):
        load_catalog(locales, directory)
