"""The Rasa SDK actions, run on real trackers with the shipped content."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer
from actions.conversation import ActionChangeLanguage, ActionFallback


def tracker(text: str, intent: str, slots: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
            entities: list[dict[str, Any]] | None = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": "0" * 32,
        "slots": {"lang": None, "fallback_count": 0.0, **(slots or {})},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9},
                           "entities": entities or [], "metadata": metadata or {}},
        "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None,
    })


def run(action, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return [m["custom"] for m in dispatcher.messages], events


def test_english_question_gets_the_english_answer_with_lang_and_topic() -> None:
    [message], events = run(ActionAnswer(), tracker("what do i do if ICE knocks on my door", "rights_home_visit"))
    assert message["lang"] == "en" and message["topic"] == "rights.home_visit" and message["dir"] == "ltr"
    assert "Keep the door closed" in message["text"] and message["sources"] and message["last_reviewed"]
    assert {"event": "slot", "name": "lang", "value": "en", "timestamp": None} in events


def test_spanish_question_gets_the_spanish_answer() -> None:
    [message], _ = run(ActionAnswer(), tracker("que hago si la migra toca mi puerta", "rights_home_visit"))
    assert message["lang"] == "es" and message["topic"] == "rights.home_visit"
    assert "puerta cerrada" in message["text"] and "888-624-4752" in message["text"]


def test_emergency_answers_with_what_to_do_now_and_the_hotline() -> None:
    [message], _ = run(ActionAnswer(), tracker("la migra esta en mi puerta ahorita", "emergency_now"))
    assert message["topic"] == "urgent.emergency" and message["lang"] == "es"
    assert message["text"].startswith("Si hay agentes") and "888-624-4752" in message["text"]


def test_language_is_sticky_for_a_short_reply() -> None:
    [message], events = run(ActionAnswer(), tracker("ok", "affirm", slots={"lang": "es"}))
    assert message["lang"] == "es" and not [e for e in events if e.get("name") == "lang"]


def test_explicit_language_in_metadata_wins() -> None:
    [message], _ = run(ActionAnswer(), tracker("what are my rights at work", "rights_workplace", metadata={"lang": "es"}))
    assert message["lang"] == "es" and message["topic"] == "rights.workplace"


def test_sms_channel_gets_the_short_form() -> None:
    [web], _ = run(ActionAnswer(), tracker("can i film ice", "rights_record_agents"))
    [sms], _ = run(ActionAnswer(), tracker("can i film ice", "rights_record_agents", metadata={"channel": "sms"}))
    assert len(sms["text"]) < len(web["text"]) and sms["topic"] == web["topic"]


def test_menu_answers_offer_buttons_that_trigger_intents() -> None:
    [message], _ = run(ActionAnswer(), tracker("hola", "greet"))
    payloads = [b["payload"] for b in message["buttons"]]
    assert "/emergency_now" in payloads and "/find_legal_help" in payloads
    assert message["buttons"][0]["title"] == "Hay agentes aquí ahora"


def test_privacy_answer_states_the_configured_retention(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from actions import base

    base.settings.cache_clear()
    monkeypatch.setenv("KYR_RETENTION_DAYS", "12")
    try:
        [message], _ = run(ActionAnswer(), tracker("do you share my info with ice", "ask_privacy"))
    finally:
        base.settings.cache_clear()
    assert "12 days" in message["text"]


def test_naming_a_language_switches_and_confirms_in_it() -> None:
    [message], events = run(ActionChangeLanguage(), tracker("español", "change_language", slots={"lang": "en"}))
    assert message["lang"] == "es" and message["topic"] == "conversation.language_set"
    assert {"event": "slot", "name": "lang", "value": "es", "timestamp": None} in events


def test_language_menu_names_each_language_in_its_own_script() -> None:
    [message], _ = run(ActionChangeLanguage(), tracker("language", "change_language", slots={"lang": "en"}))
    assert message["topic"] == "conversation.language_menu"
    titles = [b["title"] for b in message["buttons"]]
    assert titles[:4] == ["English", "Español", "中文 (繁體)", "中文 (简体)"]
    assert {"한국어", "Filipino", "Tiếng Việt", "Հայերեն", "فارسی", "Русский", "日本語", "ไทย"} <= set(titles)
    assert len(titles) == 12
    assert message["buttons"][1]["payload"] == '/change_language{"language": "es"}'


def test_language_menu_on_sms_is_numbered_for_replying_with_a_digit() -> None:
    [message], _ = run(ActionChangeLanguage(), tracker("language", "change_language", slots={"lang": "es"}, metadata={"channel": "sms"}))
    lines = message["text"].splitlines()
    assert lines[0].startswith("Responda con el número")
    assert lines[1:4] == ["1 English", "2 Español", "3 中文 (繁體)"] and len(lines) == 13


def test_language_menu_button_payload_switches() -> None:
    entities = [{"entity": "language", "value": "es"}]
    payload = '/change_language{"language": "es"}'
    [message], _ = run(ActionChangeLanguage(), tracker(payload, "change_language", {"lang": "en"}, entities=entities))
    assert message["lang"] == "es" and message["topic"] == "conversation.language_set"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_fallback_asks_to_rephrase_once_then_offers_menu_and_a_person(lang: str) -> None:
    [first], events = run(ActionFallback(), tracker("asdf", "nlu_fallback", slots={"lang": lang}))
    assert first["topic"] == "conversation.rephrase" and first["lang"] == lang
    count = next(e["value"] for e in events if e.get("name") == "fallback_count")
    [second], events = run(ActionFallback(), tracker("qwer", "nlu_fallback", slots={"lang": lang, "fallback_count": count}))
    assert second["topic"] == "conversation.fallback_menu" and second["buttons"]
    assert "311" in second["text"] and "888-624-4752" in second["text"]
    assert next(e["value"] for e in events if e.get("name") == "fallback_count") == 0.0


def test_an_understood_message_resets_the_fallback_count() -> None:
    _, events = run(ActionAnswer(), tracker("thanks", "thank", slots={"lang": "en", "fallback_count": 1.0}))
    assert {"event": "slot", "name": "fallback_count", "value": 0.0, "timestamp": None} in events


def test_a_failing_action_sends_nothing_and_logs_no_message_text(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from actions import base

    def broken() -> None:
        raise RuntimeError("content store exploded")

    monkeypatch.setattr(base, "content_store", broken)
    messages, events = run(ActionAnswer(), tracker("my neighbor 2135550100 was taken", "rights_detained"))
    assert messages == [] and events == []
    assert "action_answer failed: RuntimeError" in caplog.text
    assert "2135550100" not in caplog.text and "exploded" not in caplog.text
