"""POST /twilio/sms with requests signed the way Twilio signs them, against real HTTP stand-ins
for Rasa and for Twilio's REST API."""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from bot import privacy
from bot.content import load_catalog
from bot.messages import answer
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import PUBLIC_URL, TWILIO_TOKEN

PHONE = "+12135550147"
OUR_NUMBER = "+12135550100"
_sids = itertools.count(1)


@pytest.fixture
def app(twilio_settings: Settings):  # type: ignore[no-untyped-def]
    from connectors.app import create_app

    app = create_app(twilio_settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["kyr311"]["sms_worker"].stop()


@pytest.fixture
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(PROJECT_ROOT / "locales", PROJECT_ROOT / "data" / "directory")


def params(body: str, sid: str | None = None, phone: str = PHONE, **extra: str) -> dict[str, str]:
    """A form as Twilio posts it, location fields included."""
    return {
        "MessageSid": sid or f"SM{next(_sids):032d}", "SmsSid": "x", "AccountSid": "AC" + "0" * 32, "From": phone,
        "To": OUR_NUMBER, "Body": body, "NumMedia": "0", "FromCity": "LOS ANGELES", "FromState": "CA", "FromZip": "90012",
        "FromCountry": "US", "ApiVersion": "2010-04-01", **extra,
    }


def sign(form: dict[str, str], url: str = PUBLIC_URL + "/twilio/sms") -> str:
    return RequestValidator(TWILIO_TOKEN).compute_signature(url, form)  # type: ignore[no-any-return]


def post(client, form: dict[str, str], signature: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Twilio-Signature": sign(form) if signature is None else signature}
    return client.post("/twilio/sms", data=form, headers=headers)


def texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return [m.text or "" for m in ET.fromstring(response.get_data(as_text=True)).iter("Message")]


def reply(text: str, lang: str = "en", buttons: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    return [{"recipient_id": "x", "custom": {"text": text, "lang": lang, "topic": "rights.home_visit", "buttons": buttons or []}}]


def test_a_signed_message_is_answered_in_twiml_under_a_hashed_conversation(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.reply = reply("Keep the door closed.")
    assert texts(post(client, params("what if ICE knocks"))) == ["Keep the door closed."]
    sent = fake_rasa.requests[-1]
    assert sent["message"] == "what if ICE knocks" and sent["metadata"] == {"channel": "sms"}
    assert len(sent["sender"]) == 32 and "555" not in sent["sender"]


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "forged=="])
def test_forged_or_missing_signatures_get_an_empty_403_and_leave_no_trace(client, fake_rasa, app, signature: str) -> None:  # type: ignore[no-untyped-def]
    form = params("hello")
    response = post(client, form, signature=signature)
    assert response.status_code == 403 and response.get_data() == b""
    assert fake_rasa.requests == []
    store = app.extensions["kyr311"]["gateway_store"]
    assert store.claim(store.key(form["MessageSid"])).first  # no delivery was recorded for it


def test_a_tampered_parameter_breaks_the_signature(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    form = params("hello")
    signature = sign(form)
    form["Body"] = "hello, changed"
    assert post(client, form, signature).status_code == 403 and fake_rasa.requests == []


def test_the_signature_is_checked_against_the_public_url_not_the_host(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    form = params("hello")
    assert post(client, form, sign(form, "http://localhost/twilio/sms")).status_code == 403
    assert texts(post(client, form, sign(form, PUBLIC_URL + "/twilio/sms")))  # behind the TLS proxy


def test_unknown_parameters_are_part_of_the_signature(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    form = params("hello", AddOns='{"status": "successful"}', SomeFutureField="1")
    assert texts(post(client, form))
    form["SomeFutureField"] = "2"
    assert post(client, form, sign({**form, "SomeFutureField": "1"})).status_code == 403


def test_concurrent_duplicates_are_processed_once_and_get_the_same_reply(app, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.reply, fake_rasa.delay = reply("One answer."), 0.3
    form = params("what are my rights")
    results: list[Any] = []

    def deliver() -> None:
        results.append(post(app.test_client(), form))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = {r.get_data(as_text=True) for r in results}
    assert len(bodies) == 1 and "One answer." in bodies.pop()
    assert len(fake_rasa.requests) == 1
    later = post(app.test_client(), form)  # a retry long after: same reply, no new processing
    assert texts(later) == ["One answer."] and len(fake_rasa.requests) == 1


def _words(catalog, label: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted({(w.strip(), lang) for lang in catalog.locales for w in catalog.label(label, lang).split("/") if w.strip()})


def test_every_opt_out_word_silences_the_line_until_start_and_it_survives_a_restart(client, fake_rasa, catalog, twilio_settings) -> None:  # type: ignore[no-untyped-def]
    from connectors.app import create_app

    stops = _words(catalog, "keywords.stop")
    assert {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "PARAR"} <= {w for w, _ in stops}
    for number, (word, _lang) in enumerate(stops):
        phone = f"+1213555{number:04d}"
        assert texts(post(client, params(word, phone=phone))) == []
        assert texts(post(client, params("what are my rights", phone=phone))) == []
    assert fake_rasa.requests == []
    restarted = create_app(twilio_settings).test_client()
    assert texts(post(restarted, params("hello", phone="+12135550000"))) == []
    [welcome] = texts(post(restarted, params("START", phone="+12135550000")))
    assert welcome == answer(catalog, "sms.opted_in", "en", "sms")["text"]
    fake_rasa.reply = reply("Hi again.")
    assert texts(post(restarted, params("hello", phone="+12135550000"))) == ["Hi again."]


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop. ", "PARAR"])
def test_stop_words_count_only_as_the_whole_message(client, fake_rasa, word: str) -> None:  # type: ignore[no-untyped-def]
    assert texts(post(client, params(word))) == []
    fake_rasa.reply = reply("About raids.")
    assert texts(post(client, params("stop the raids", phone="+12135550999"))) == ["About raids."]


def test_yes_only_opts_back_in_after_an_opt_out(client, fake_rasa, catalog) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.reply = reply("Yes noted.")
    assert texts(post(client, params("YES"))) == ["Yes noted."]  # an ordinary "yes" goes to the assistant
    post(client, params("STOP"))
    assert texts(post(client, params("SÍ"))) == [answer(catalog, "sms.opted_in", "es", "sms")["text"]]


def test_help_words_get_the_help_text_in_their_language(client, fake_rasa, catalog) -> None:  # type: ignore[no-untyped-def]
    helps = _words(catalog, "keywords.help")
    assert ("HELP", "en") in helps and ("AYUDA", "es") in helps and len({lang for _, lang in helps}) == 12
    for number, (word, lang) in enumerate(helps):
        [text] = texts(post(client, params(word, phone=f"+1310555{number:04d}")))
        expected = answer(catalog, "sms.help", lang, "sms")["text"]
        assert text == expected or (word == "INFO" and text in {answer(catalog, "sms.help", x, "sms")["text"] for x in ("en", "es")})
        assert "888-624-4752" in text
    assert fake_rasa.requests == []


@pytest.mark.parametrize(("body", "key"), [("", "system.empty_message"), ("   \n\t ", "system.empty_message"),
                                            ("please tell me what my rights are " * 60, "system.too_long")])
def test_empty_and_huge_bodies_get_a_clear_answer_without_rasa(client, fake_rasa, catalog, body: str, key: str) -> None:  # type: ignore[no-untyped-def]
    [text] = texts(post(client, params(body)))
    assert text == answer(catalog, key, "en", "sms", {"max_chars": 1600})["text"] and fake_rasa.requests == []


@pytest.mark.parametrize("body", ["🙏🙏", "اگر مامورها بیان چیکار کنم", "移民局來了怎麼辦", "hel\x00lo\x1b there"])
def test_emoji_farsi_chinese_and_control_characters_reach_rasa_cleanly(client, fake_rasa, body: str) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.reply = reply("ok")
    assert texts(post(client, params(body))) == ["ok"]
    sent = fake_rasa.requests[-1]["message"]
    expected = body.replace("\x00", "").replace("\x1b", "")
    assert "\x00" not in sent and "\x1b" not in sent and sent.replace(" ", "") == expected.replace(" ", "")


def test_rasa_down_gives_a_holding_text_then_exactly_one_answer_when_it_is_back(client, app, fake_rasa, fake_twilio, catalog) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.status = 500
    [holding] = texts(post(client, params("necesito un abogado gratis")))
    assert holding == answer(catalog, "sms.holding", "es", "sms")["text"] and "888-624-4752" in holding
    worker = app.extensions["kyr311"]["sms_worker"]
    assert worker.retry_held(min_age=0) == 0 and fake_twilio.sent == []  # still down: kept
    fake_rasa.status, fake_rasa.reply = 200, reply("Ayuda legal gratis: ...", "es")
    assert worker.retry_held(min_age=0) == 1
    assert worker.retry_held(min_age=0) == 0
    [sent] = fake_twilio.sent
    assert (sent["To"], sent["From"], sent["Body"]) == (PHONE, OUR_NUMBER, "Ayuda legal gratis: ...")


def test_rasa_slow_gives_a_holding_text_now_and_the_answer_once_later(client, app, fake_rasa, fake_twilio, catalog) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.delay, fake_rasa.reply = 0.8, reply("The late answer.")
    [holding] = texts(post(client, params("what do I do if ICE comes to my job")))
    assert holding == answer(catalog, "sms.holding", "en", "sms")["text"]
    assert [s["Body"] for s in fake_twilio.wait_for(1)] == ["The late answer."]
    assert app.extensions["kyr311"]["sms_worker"].retry_held(min_age=0) == 0
    time.sleep(0.3)
    assert len(fake_twilio.sent) == 1 and len(fake_rasa.requests) == 1


def test_numbered_choices_and_a_digit_reply_pick_the_offered_button(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.reply = reply("What do you need?", buttons=[{"title": "Free legal help", "payload": "/find_legal_help"},
                                                          {"title": "Talk to a person", "payload": "/talk_to_human"}])
    [text] = texts(post(client, params("menu please")))
    assert text.splitlines()[1:] == ["Reply 1: Free legal help", "Reply 2: Talk to a person"]
    post(client, params("2"))
    assert fake_rasa.requests[-1]["message"] == "/talk_to_human"


def test_a_long_answer_is_paged_and_more_sends_the_rest(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    long_text = " ".join(f"Sentence number {i} about your rights." for i in range(60))
    fake_rasa.reply = reply(long_text)
    [first] = texts(post(client, params("tell me everything")))
    assert first.endswith("Reply MORE for the rest.") and len(fake_rasa.requests) == 1
    pages = [first]
    while pages[-1].endswith("Reply MORE for the rest."):
        [page] = texts(post(client, params("MORE")))
        pages.append(page)
    assert len(fake_rasa.requests) == 1
    joined = " ".join(p.replace("\nReply MORE for the rest.", "") for p in pages)
    assert joined.split() == long_text.split()


def test_mms_photos_pass_as_urls_and_location_fields_never_leave_the_gateway(client, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    fake_rasa.reply = reply("Got it.")
    form = params("ICE at the library", NumMedia="1", MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1",
                  MediaContentType0="image/jpeg")
    texts(post(client, form))
    sent = fake_rasa.requests[-1]
    assert sent["metadata"] == {"channel": "sms", "media": [form["MediaUrl0"]]}
    assert "90012" not in str(sent) and "LOS ANGELES" not in str(sent)


def test_a_phone_number_typed_in_a_message_never_reaches_rasa(client, fake_rasa, twilio_settings) -> None:  # type: ignore[no-untyped-def]
    texts(post(client, params("call me back at 213-555-0199 please, I live in 90033")))
    assert fake_rasa.requests[-1]["message"] == "call me back at [phone] please, I live in 90033"
    sealed = fake_rasa.requests[-1]["metadata"]["sealed_phones"]
    assert "555" not in sealed and "0199" not in json.dumps(fake_rasa.requests[-1])
    # Only the report's contact step opens it, with the secret key.
    assert privacy.unseal(twilio_settings.secret_key, sealed) == ["213-555-0199"]
    assert privacy.unseal("another-key-" + "x" * 30, sealed) is None


def test_no_number_or_message_text_in_logs_or_the_gateway_database(client, app, fake_rasa, caplog, twilio_settings) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    fake_rasa.status = 500  # the held message is stored too
    post(client, params("my secret question about asylum"))
    fake_rasa.status, fake_rasa.reply = 200, reply("answer text")
    post(client, params("STOP", phone="+13235550123"))
    post(client, params("second private question"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    stored = twilio_settings.gateway_db.read_bytes() + b"".join(
        p.read_bytes() for p in twilio_settings.gateway_db.parent.glob("gateway.db*") if p.is_file())
    for secret in ("2135550147", "3235550123", "secret question", "private question"):
        assert secret not in logged
        assert secret.encode() not in stored
