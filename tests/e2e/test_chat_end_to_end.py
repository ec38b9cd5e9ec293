"""End to end: the trained model, the action server, Rasa and the gateway as real processes.

Posts real HTTP requests to the gateway on loopback. Run by `make e2e` (part of `make test`)
after training; skipped elsewhere when no model for the current inputs exists.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.content_store import ContentStore
from bot.messages import answer
from tests.conftest import PUBLIC_URL, TWILIO_TOKEN
from tests.e2e.conftest import restart_actions

pytestmark = pytest.mark.e2e

def chat(stack: dict[str, Any], *texts: str, lang: str | None = None) -> list[list[dict[str, Any]]]:
    url = stack["url"]
    token = requests.post(f"{url}/chat/sessions", timeout=10).json()["session"]
    replies = []
    for text in texts:
        body = {"text": text, **({"lang": lang} if lang else {})}
        response = requests.post(f"{url}/chat/sessions/{token}/messages", json=body, timeout=30)
        assert response.status_code == 200, response.text
        replies.append(response.json()["messages"])
    return replies


def test_healthz_is_ok_when_everything_runs(stack) -> None:  # type: ignore[no-untyped-def]
    response = requests.get(f"{stack['url']}/healthz", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("text", "lang", "topic"),
    [
        ("what do i do if immigration agents knock on my door", "en", "rights.home_visit"),
        ("que hago si la migra toca a mi puerta", "es", "rights.home_visit"),
        ("i need a free immigration lawyer", "en", "resources.legal_help"),
        ("necesito un abogado gratis", "es", "resources.legal_help"),
        ("ICE agents are at my door right now", "en", "urgent.emergency"),
        ("la migra esta afuera de mi casa ahorita ayuda", "es", "urgent.emergency"),
        ("la migra esta en mi puerta", "es", "urgent.emergency"),
    ],
)
def test_a_question_is_answered_in_its_language_with_lang_and_topic(stack, text: str, lang: str, topic: str) -> None:  # type: ignore[no-untyped-def]
    [[message, *more]] = chat(stack, text)
    assert (message["lang"], message["topic"]) == (lang, topic)
    assert "888-624-4752" in message["text"]
    # Help near me follows a request for help: the offer to look by ZIP code, in the same language.
    assert [(m["lang"], m["topic"]) for m in more] == ([(lang, "resources.ask_location")] if topic.startswith("resources.") else [])


HOME_VISIT = {
    "en": "what should I do if ICE knocks on my door",
    "es": "que hago si la migra toca mi puerta",
    "zh-Hant": "如果ICE來敲我家的門，我該怎麼辦？",
    "zh-Hans": "如果ICE来敲我家的门，我该怎么办？",
    "ko": "ICE가 집 문을 두드리면 어떻게 해야 하나요?",
    "tl": "ano ang gagawin ko kung kumatok ang ICE sa pinto namin",
    "vi": "tôi phải làm gì nếu ICE gõ cửa nhà tôi",
    "hy": "Ի՞նչ անեմ, եթե ICE-ը թակի իմ դուռը",
    "fa": "اگر ICE در خانه‌ام را بزند چه کار کنم؟",
    "ru": "что делать, если ICE стучит в мою дверь",
    "ja": "ICEが家のドアをノックしたらどうすればいいですか",
    "th": "ถ้า ICE มาเคาะประตูบ้านต้องทำอย่างไร",
}


@pytest.mark.parametrize("lang", list(HOME_VISIT))
def test_every_launch_locale_is_understood_and_answered_in_its_own_language(stack, lang: str) -> None:  # type: ignore[no-untyped-def]
    [[message]] = chat(stack, HOME_VISIT[lang])
    assert (message["lang"], message["topic"]) == (lang, "rights.home_visit")
    assert message["dir"] == ("rtl" if lang == "fa" else "ltr")
    if lang != "en":
        assert message["status"] == "draft"  # drafted translations say so until a person reviews them
    assert "888-624-4752" in message["text"]


def test_asking_for_another_language_switches_and_the_switch_sticks(stack) -> None:  # type: ignore[no-untyped-def]
    first, second, third = chat(stack, "what should I do if ICE knocks on my door", "can you answer in Vietnamese?",
                                "what if they have a warrant")
    assert first[0]["lang"] == "en"
    assert (second[0]["lang"], second[0]["topic"]) == ("vi", "conversation.language_set")
    assert (third[0]["lang"], third[0]["topic"]) == ("vi", "rights.warrant")


def test_the_language_keyword_and_a_number_choose_farsi_right_to_left(stack) -> None:  # type: ignore[no-untyped-def]
    menu, chosen, answer = chat(stack, "language", "9", "I need a free lawyer")
    assert menu[0]["topic"] == "conversation.language_menu" and menu[0]["buttons"][8]["title"] == "فارسی"
    assert (chosen[0]["lang"], chosen[0]["dir"], chosen[0]["topic"]) == ("fa", "rtl", "conversation.language_set")
    assert (answer[0]["lang"], answer[0]["dir"], answer[0]["topic"]) == ("fa", "rtl", "resources.legal_help")


def test_the_conversation_keeps_its_language_and_switches_on_request(stack) -> None:  # type: ignore[no-untyped-def]
    first, second, third, fourth = chat(stack, "hola", "gracias", "english please", "what are my rights at work")
    assert first[0]["lang"] == "es" and first[0]["buttons"]
    assert second[0]["lang"] == "es"
    assert (third[0]["lang"], third[0]["topic"]) == ("en", "conversation.language_set")
    assert (fourth[0]["lang"], fourth[0]["topic"]) == ("en", "rights.workplace")


def test_language_menu_buttons_work_through_the_api(stack) -> None:  # type: ignore[no-untyped-def]
    [[menu]] = chat(stack, "/change_language")
    spanish = next(b for b in menu["buttons"] if b["title"] == "Español")
    url = stack["url"]
    token = requests.post(f"{url}/chat/sessions", timeout=10).json()["session"]
    for payload in (spanish["payload"], "/rights_detained"):
        reply = requests.post(f"{url}/chat/sessions/{token}/messages", json={"text": payload}, timeout=30).json()
    assert (reply["messages"][0]["lang"], reply["messages"][0]["topic"]) == ("es", "rights.detained")


def test_widget_language_choice_is_honoured(stack) -> None:  # type: ignore[no-untyped-def]
    [[message]] = chat(stack, "what are my rights if i am stopped on the street", lang="es")
    assert (message["lang"], message["topic"]) == ("es", "rights.stopped_public")


def test_privacy_answer_states_the_running_retention(stack) -> None:  # type: ignore[no-untyped-def]
    [[message]] = chat(stack, "do you share what i write with immigration")
    assert message["topic"] == "conversation.privacy" and "21 days" in message["text"]


def test_unclear_messages_get_rephrase_then_menu(stack) -> None:  # type: ignore[no-untyped-def]
    # The payload form makes the test independent of how the model scores any one string.
    first, second = chat(stack, "/nlu_fallback", "/nlu_fallback")
    topics = [first[0]["topic"], second[0]["topic"]]
    assert topics == ["conversation.rephrase", "conversation.fallback_menu"], topics


def test_trackers_hold_hashed_ids_and_logs_hold_no_message_text(stack) -> None:  # type: ignore[no-untyped-def]
    marker = "my neighbor carmen at 2135550100 was taken"
    chat(stack, marker)
    db = Path(stack["settings"].tracker_db)
    with sqlite3.connect(db) as conn:
        senders = {row[0] for row in conn.execute("SELECT DISTINCT sender_id FROM events")}
    assert senders and all(len(s) == 32 and all(c in "0123456789abcdef" for c in s) for s in senders)
    log = stack["log"].read_text(errors="replace")
    assert "2135550100" not in log and "carmen" not in log


def test_saved_content_edit_shows_in_the_next_reply_and_a_broken_one_changes_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    path = Path(stack["settings"].locales_dir) / "es.yml"
    original = path.read_text(encoding="utf-8")

    def save(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        mtime = path.stat().st_mtime_ns + 2_000_000_000  # a new mtime even on coarse file systems
        os.utime(path, ns=(mtime, mtime))

    try:
        save(original.replace("De nada. ¿Hay algo más", "¡Con mucho gusto! ¿Hay algo más"))
        [[edited]] = chat(stack, "gracias", lang="es")
        assert edited["topic"] == "conversation.thank" and edited["text"].startswith("¡Con mucho gusto!")
        save(original.replace("De nada. ¿Hay algo más", "¡Con mucho gusto! {broken ¿Hay algo más"))
        [[after_broken]] = chat(stack, "gracias", lang="es")
        assert after_broken["text"] == edited["text"]
    finally:
        save(original)


def sms(stack: dict[str, Any], phone: str, body: str, sid: str) -> list[str]:
    form = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+12135550100", "Body": body,
            "NumMedia": "0", "FromCity": "LOS ANGELES", "FromZip": "90012", "FromState": "CA", "FromCountry": "US"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms", form)
    response = requests.post(f"{stack['url']}/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200, response.text
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


def test_a_scripted_sms_conversation_leaves_no_phone_number_in_any_log_database_or_tracker(stack) -> None:  # type: ignore[no-untyped-def]
    residents = {"+12135550147": "es", "+13105550123": "en"}
    script = {
        "es": ["hola", "que hago si la migra toca mi puerta", "idioma", "2", "llámame al 213-555-0199", "PARAR", "hola?", "SÍ"],
        "en": ["hi", "what should I do if ICE knocks on my door", "MORE", "HELP", "call me at (310) 555-0177"],
    }
    replies: dict[str, list[list[str]]] = {}
    for n, (phone, lang) in enumerate(residents.items()):
        replies[phone] = [sms(stack, phone, body, f"SM{n}{i:031d}") for i, body in enumerate(script[lang])]
    spanish = replies["+12135550147"]
    assert "888-624-4752" in spanish[1][0]  # the home-visit answer, in Spanish, with the hotline
    assert "1 English" in spanish[2][0] and "2 Español" in spanish[2][0]  # the numbered language menu
    assert spanish[5] == [] and spanish[6] == []  # PARAR: silence until SÍ
    assert spanish[7] and "888-624-4752" in replies["+13105550123"][3][0]
    var = stack["settings"].var_dir
    written = b"".join(p.read_bytes() for p in var.rglob("*") if p.is_file() and p.suffix not in (".yml",))
    trackers = sqlite3.connect(var / "trackers.db").execute("SELECT sender_id, data FROM events").fetchall()
    for number in ("2135550147", "3105550123", "555-0147", "555-0123", "2135550199", "213-555-0199", "555-0177"):
        assert number.encode() not in written, number
        assert not any(number in str(row) for row in trackers), number


def test_action_server_down_gives_the_fallback_then_healthz_fails(stack) -> None:  # type: ignore[no-untyped-def]
    actions = stack["processes"][0]
    actions.terminate()
    actions.wait(timeout=15)
    url = stack["url"]
    token = requests.post(f"{url}/chat/sessions", timeout=10).json()["session"]
    response = requests.post(f"{url}/chat/sessions/{token}/messages", json={"text": "necesito ayuda con un abogado"}, timeout=60)
    assert response.status_code == 503
    [message] = response.json()["messages"]
    assert (message["lang"], message["topic"]) == ("es", "system.unavailable")
    assert "888-624-4752" in message["text"]
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 503
    restart_actions(stack)  # the stack is shared with the other end-to-end modules


def test_a_frozen_action_server_gives_the_fallback_in_the_residents_language_within_twilios_15_seconds(stack) -> None:  # type: ignore[no-untyped-def]
    """The action server stops answering (SIGSTOP: it accepts connections and never replies).
    The web chat gets the fallback in Spanish, and an SMS a holding text in Spanish, each
    well within the 15 s Twilio waits; once the server is back, the SMS is answered, once."""
    settings, twilio = stack["settings"], stack["twilio"]
    catalog = ContentStore(settings.locales_dir, settings.directory_dir).get()
    phone, sent_before = "+13105550188", len(stack["twilio"].sent)
    actions = stack["processes"][0]
    actions.send_signal(signal.SIGSTOP)
    try:
        token = requests.post(f"{stack['url']}/chat/sessions", timeout=10).json()["session"]
        started = time.monotonic()
        response = requests.post(f"{stack['url']}/chat/sessions/{token}/messages", json={"text": "necesito un abogado gratis"},
                                 timeout=30)
        chat_seconds = time.monotonic() - started
        started = time.monotonic()
        texts = sms(stack, phone, "necesito un abogado gratis por favor", "SM" + "f" * 32)
        sms_seconds = time.monotonic() - started
    finally:
        actions.send_signal(signal.SIGCONT)
    assert response.status_code == 503 and chat_seconds < 15, (response.status_code, chat_seconds)
    [message] = response.json()["messages"]
    assert (message["lang"], message["topic"]) == ("es", "system.unavailable") and "888-624-4752" in message["text"]
    assert texts == [answer(catalog, "sms.holding", "es", "sms")["text"]] and sms_seconds < 15, (texts, sms_seconds)
    twilio.wait_for(sent_before + 1, timeout=60)
    time.sleep(6)  # the retry loop runs every 5 s: a second text would come by now
    late = [m for m in twilio.sent[sent_before:] if m["To"] == phone]
    assert len(late) == 1 and late[0]["Body"] != answer(catalog, "system.unavailable", "es", "sms")["text"], late
    assert "abogado" in late[0]["Body"].lower() or "legal" in late[0]["Body"].lower(), late
