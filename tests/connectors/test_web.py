"""The widget's assets, its size budget, cross-origin use, and forgetting a web conversation."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot import languages
from connectors.app import create_app

BUDGET_BYTES = 25 * 1024  # widget.js and widget.css together, gzipped (issue 5)
HOST = "https://www.lacity.gov"


def _ui(js: bytes) -> dict:  # type: ignore[type-arg]
    match = re.search(rb"var UI = (\{.*?\});\n", js)
    assert match, "widget.js carries no interface texts"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_widget_js_and_css_stay_within_the_gzipped_size_budget(client) -> None:  # type: ignore[no-untyped-def]
    total = 0
    for path in ("/widget.js", "/widget.css"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        total += len(response.data)
    assert total <= BUDGET_BYTES, f"widget bundle is {total} bytes gzipped, over the {BUDGET_BYTES}-byte budget"


def test_assets_are_gzipped_only_for_clients_that_accept_it(client) -> None:  # type: ignore[no-untyped-def]
    plain = client.get("/widget.js")
    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.data) == plain.data
    assert plain.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_the_widget_needs_no_eval_inline_html_or_framework(client) -> None:  # type: ignore[no-untyped-def]
    js = client.get("/widget.js").data
    banned_calls = (b"eval(", b"new Function", b"innerHTML", b"outerHTML", b"insertAdjacentHTML", b"document.write", b'setAttribute("style')
    for banned in banned_calls:
        assert banned not in js, banned
    page = client.get("/")
    assert page.status_code == 200 and b'src="/widget.js"' in page.data and b"async" in page.data
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert b"<script>" not in page.data and b"style=" not in page.data


def test_widget_carries_every_locales_texts_and_own_script_language_names(client) -> None:  # type: ignore[no-untyped-def]
    ui = _ui(client.get("/widget.js").data)
    tags = [entry["tag"] for entry in ui["languages"]]
    assert tags == list(languages.LANGUAGES)
    names = {entry["tag"]: entry["name"] for entry in ui["languages"]}
    assert names["fa"] == "فارسی" and names["hy"] == "Հայերեն" and names["ko"] == "한국어"
    assert {entry["tag"] for entry in ui["languages"] if entry["dir"] == "rtl"} == {"fa"}
    keys = set(ui["strings"]["en"])
    assert {"quick_exit", "clear", "send", "unreachable", "language", "typing"} <= keys
    for tag in tags:
        assert set(ui["strings"][tag]) == keys, tag
        assert "888-624-4752" in ui["strings"][tag]["unreachable"], tag  # the hotline, filled in
    assert ui["strings"]["es"]["send"] != ui["strings"]["en"]["send"]


def test_an_edited_label_is_served_without_a_restart(settings, content_dirs) -> None:  # type: ignore[no-untyped-def]
    locales, directory = content_dirs
    app = create_app(replace(settings, locales_dir=locales, directory_dir=directory))
    client = app.test_client()
    assert _ui(client.get("/widget.js").data)["strings"]["en"]["send"] == "Send"
    path = locales / "en.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('widget.send: "Send"', 'widget.send: "Send it"'), encoding="utf-8")
    assert _ui(client.get("/widget.js").data)["strings"]["en"]["send"] == "Send it"


def test_configured_host_origins_may_call_the_chat_api_and_others_may_not(settings) -> None:  # type: ignore[no-untyped-def]
    client = create_app(replace(settings, widget_origins=(HOST,))).test_client()
    allowed = client.post("/chat/sessions", headers={"Origin": HOST})
    assert allowed.headers["Access-Control-Allow-Origin"] == HOST
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    preflight = client.options("/chat/sessions/x/messages", headers={
        "Origin": HOST, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == HOST
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    other = client.post("/chat/sessions", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in client.get("/healthz", headers={"Origin": HOST}).headers


def test_without_configured_origins_no_cross_origin_call_is_allowed(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/chat/sessions", headers={"Origin": HOST})
    assert response.status_code == 201 and "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("value", ["lacity.gov", "https://www.lacity.gov/path", "javascript:alert(1)", "https://a b"])
def test_a_malformed_widget_origin_is_refused_with_the_setting_named(value: str) -> None:
    from bot.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="KYR_WIDGET_ORIGINS"):
        Settings.from_env({"KYR_SECRET_KEY": "k" * 40, "KYR_WIDGET_ORIGINS": value})


def _tracker(path: Path, sender: str, other: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, data TEXT)")
        db.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 0, '{}')",
                       [(sender,), (sender,), (other,)])


def test_deleting_a_session_forgets_its_conversation_and_only_it(client, settings, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    from bot import privacy
    from connectors.chat import _session_id

    token = client.post("/chat/sessions").get_json()["session"]
    sender = privacy.conversation_id(settings.secret_key, "web", _session_id(settings, token))
    _tracker(settings.tracker_db, sender, "someone-else")
    assert client.delete(f"/chat/sessions/{token}").status_code == 204
    with sqlite3.connect(settings.tracker_db) as db:
        left = [row[0] for row in db.execute("SELECT sender_id FROM events")]
    assert left == ["someone-else"]
    assert client.delete("/chat/sessions/forged-token").status_code == 404
