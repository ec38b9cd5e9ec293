"""The chat API, posted to through the real Flask app, with Rasa behind real HTTP."""

from __future__ import annotations

import logging

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import SECRET


def new_session(client) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/chat/sessions")
    assert response.status_code == 201
    return response.get_json()["session"]


def test_sessions_are_distinct_server_issued_tokens(client) -> None:  # type: ignore[no-untyped-def]
    tokens = {new_session(client) for _ in range(20)}
    assert len(tokens) == 20


def test_message_is_relayed_with_hashed_sender_and_carries_lang_and_topic(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "hello"})
    assert response.status_code == 200
    [message] = response.get_json()["messages"]
    assert message["text"] == "hi" and message["lang"] == "en" and message["topic"] == "conversation.greet"
    assert message["dir"] == "ltr" and message["buttons"] == []
    sent = fake_rasa.requests[-1]
    assert sent["message"] == "hello" and sent["metadata"] == {"channel": "web"}
    assert len(sent["sender"]) == 32 and sent["sender"] not in token


def test_same_session_keeps_one_conversation_and_sessions_differ(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    first, second = new_session(client), new_session(client)
    for token in (first, first, second):
        client.post(f"/chat/sessions/{token}/messages", json={"text": "hello"})
    senders = [r["sender"] for r in fake_rasa.requests]
    assert senders[0] == senders[1] != senders[2]


def test_explicit_language_is_passed_to_rasa(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    client.post(f"/chat/sessions/{token}/messages", json={"text": "hello", "lang": "es-MX"})
    assert fake_rasa.requests[-1]["metadata"] == {"channel": "web", "lang": "es"}
    client.post(f"/chat/sessions/{token}/messages?lang=en", json={"text": "hola"})
    assert fake_rasa.requests[-1]["metadata"] == {"channel": "web", "lang": "en"}


def test_unsupported_language_is_not_passed_as_a_choice(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    client.post(f"/chat/sessions/{token}/messages", json={"text": "hello", "lang": "klingon"})
    assert fake_rasa.requests[-1]["metadata"] == {"channel": "web"}


@pytest.mark.parametrize("token", ["nope", "a" * 300, "eyJhIjoxfQ.forged.sig"])
def test_forged_session_token_is_rejected(client, fake_rasa, token: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "hello"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_session"
    assert fake_rasa.requests == []


def test_token_signed_with_another_key_is_rejected(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    token = URLSafeTimedSerializer("another-key-" + "y" * 40, salt="kyr311.chat-session").dumps("abc")
    assert client.post(f"/chat/sessions/{token}/messages", json={"text": "hi"}).status_code == 404
    assert fake_rasa.requests == []


def test_expired_session_says_to_start_a_new_one(client, fake_rasa, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import itsdangerous.timed

    token = new_session(client)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 2 * 24 * 3600)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "hello"})
    assert response.status_code == 410
    assert "POST /chat/sessions" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"{not json", "application/json", "bad_json"),
        (b'["a list"]', "application/json", "bad_json"),
        (b"text=hello", "application/x-www-form-urlencoded", "bad_json"),
        (b'{"text": 42}', "application/json", "bad_text"),
        (b'{"message": "hi"}', "application/json", "bad_text"),
        (b'{"text": "hi", "lang": 7}', "application/json", "bad_text"),
    ],
)
def test_malformed_bodies_get_a_clear_400(client, fake_rasa, body: bytes, content_type: str, code: str) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", data=body, content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert fake_rasa.requests == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x07"])
def test_empty_message_is_refused_in_the_residents_language(client, fake_rasa, text: str) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": text, "lang": "es"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "empty_message"
    assert body["messages"][0]["lang"] == "es" and body["messages"][0]["text"] == "Por favor, escriba un mensaje."
    assert fake_rasa.requests == []


def test_too_long_message_is_refused_with_the_limit(client, fake_rasa, settings) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "a" * (settings.max_message_chars + 1)})
    assert response.status_code == 413
    assert str(settings.max_message_chars) in response.get_json()["messages"][0]["text"]
    assert fake_rasa.requests == []


def test_huge_body_is_refused_before_parsing(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "a" * 200_000})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert fake_rasa.requests == []


def test_control_characters_are_dropped_and_unicode_kept(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    text = "سلام\u0000 my rights  中文 e\u0301"
    assert client.post(f"/chat/sessions/{token}/messages", json={"text": text}).status_code == 200
    assert fake_rasa.requests[-1]["message"] == "سلام my rights  中文 é"


@pytest.mark.parametrize(("text", "lang"), [("ICE is at my door what do I do", "en"), ("la migra esta en mi puerta que hago", "es")])
def test_rasa_down_gives_the_hotline_in_the_residents_language(client, fake_rasa, text: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.close()
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": text})
    assert response.status_code == 503
    [message] = response.get_json()["messages"]
    assert message["lang"] == lang and message["topic"] == "system.unavailable"
    assert "888-624-4752" in message["text"]


def test_rasa_too_slow_gives_the_fallback(client, fake_rasa, settings) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.delay = settings.rasa_timeout + 0.5
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "hello"})
    assert response.status_code == 503
    assert response.get_json()["messages"][0]["topic"] == "system.unavailable"


@pytest.mark.parametrize(("status", "reply"), [(500, {"error": "boom"}), (200, []), (200, {"not": "a list"})])
def test_action_server_failure_behind_rasa_gives_the_fallback(client, fake_rasa, status, reply) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.status, fake_rasa.reply = status, reply
    token = new_session(client)
    response = client.post(f"/chat/sessions/{token}/messages", json={"text": "hello"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "assistant_unavailable"


def test_no_message_text_or_token_reaches_the_logs(client, fake_rasa, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    token = new_session(client)
    client.post(f"/chat/sessions/{token}/messages", json={"text": "my secret words 2135550100"})
    fake_rasa.close()
    client.post(f"/chat/sessions/{token}/messages", json={"text": "my secret words 2135550100"})
    assert caplog.records, "the gateway should log something about each reply"
    for record in caplog.records:
        assert "secret words" not in record.getMessage() and "2135550100" not in record.getMessage()
        assert token not in record.getMessage() and SECRET not in record.getMessage()


def test_unknown_route_is_json_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/nope")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def _menu_reply(payloads: list[str]) -> list[dict[str, object]]:
    buttons = [{"title": f"choice {i}", "payload": p} for i, p in enumerate(payloads, 1)]
    return [{"recipient_id": "x", "custom": {"text": "Choose", "lang": "en", "topic": "conversation.language_menu", "buttons": buttons}}]


@pytest.mark.parametrize("reply", ["2", " 2. ", "#2", "٢", "２"])
def test_a_number_picks_the_button_last_offered_in_that_conversation(client, fake_rasa, reply: str) -> None:  # type: ignore[no-untyped-def]
    token, other = new_session(client), new_session(client)
    fake_rasa.reply = _menu_reply(['/change_language{"language": "en"}', '/change_language{"language": "fa"}'])
    client.post(f"/chat/sessions/{token}/messages", json={"text": "language"})
    client.post(f"/chat/sessions/{token}/messages", json={"text": reply})
    assert fake_rasa.requests[-1]["message"] == '/change_language{"language": "fa"}'
    # Another conversation was offered nothing: its "2" is just text; a number past the menu too.
    client.post(f"/chat/sessions/{other}/messages", json={"text": "2"})
    assert fake_rasa.requests[-1]["message"] == "2"
    client.post(f"/chat/sessions/{token}/messages", json={"text": "7"})
    assert fake_rasa.requests[-1]["message"] == "7"


@pytest.mark.parametrize("keyword", ["language", "LANGUAGE", "Idioma", "idioma!", "Language."])
def test_the_language_menu_keyword_opens_the_menu_in_any_conversation(client, fake_rasa, keyword: str) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    client.post(f"/chat/sessions/{token}/messages", json={"text": keyword})
    assert fake_rasa.requests[-1]["message"] == "/change_language"


@pytest.mark.parametrize("text", ["what language do you speak", "idiomas", "90012"])
def test_a_keyword_only_counts_as_the_whole_message(client, fake_rasa, text: str) -> None:  # type: ignore[no-untyped-def]
    token = new_session(client)
    client.post(f"/chat/sessions/{token}/messages", json={"text": text})
    assert fake_rasa.requests[-1]["message"] == text
