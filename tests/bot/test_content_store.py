"""Hot reload: a saved edit is served on the next call; a broken edit changes nothing."""

from __future__ import annotations

import logging
import os

from bot.content_store import ContentStore


def bump(path) -> None:  # type: ignore[no-untyped-def]
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_valid_edit_is_served_without_restart(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    store = ContentStore(locales, directory)
    assert store.get().render("conversation.thank", "es").text.startswith("De nada.")
    path = locales / "es.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("De nada. ¿Hay algo", "¡Con gusto! ¿Hay algo"), encoding="utf-8")
    bump(path)
    assert store.get().render("conversation.thank", "es").text.startswith("¡Con gusto!")


def test_broken_edit_is_refused_and_last_good_content_keeps_serving(content_dirs, caplog) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    store = ContentStore(locales, directory)
    before = store.get()
    path = locales / "es.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("{hotline}", "{hotlin}", 1), encoding="utf-8")
    bump(path)
    with caplog.at_level(logging.ERROR):
        after = store.get()
    assert after is before
    assert "content edit refused" in caplog.text and "hotlin" in caplog.text


def test_changed_phone_number_reaches_every_language(content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    store = ContentStore(locales, directory)
    path = directory / "contacts.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('"888-624-4752"', '"888-000-0000"'), encoding="utf-8")
    bump(path)
    for lang in ("en", "es"):
        assert "888-000-0000" in store.get().render("urgent.emergency", lang).text
