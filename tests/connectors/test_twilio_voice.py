"""POST /twilio/voice and /twilio/voice/choice, signed as Twilio signs them; the chat link is
texted through a real HTTP stand-in for Twilio's REST API."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from twilio.request_validator import RequestValidator

from bot.settings import Settings
from tests.conftest import PUBLIC_URL, TWILIO_TOKEN

CALLER = "+13235550188"
OUR_NUMBER = "+12135550100"


@pytest.fixture
def app(twilio_settings: Settings):  # type: ignore[no-untyped-def]
    from connectors.app import create_app

    app = create_app(twilio_settings)
    yield app
    app.extensions["kyr311"]["sms_worker"].stop()


def call(client, path: str, **extra: str):  # type: ignore[no-untyped-def]
    form = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": OUR_NUMBER, "CallStatus": "ringing", "FromZip": "90012", **extra}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def twiml(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return ET.fromstring(response.get_data(as_text=True))


def test_the_menu_offers_every_language_in_its_own_voice_or_by_keypad(client) -> None:  # type: ignore[no-untyped-def]
    root = twiml(call(client, "/twilio/voice"))
    gather = root.find("Gather")
    assert gather is not None and gather.get("action") == PUBLIC_URL + "/twilio/voice/choice"
    says = [(s.get("language"), s.text or "") for s in gather.iter("Say")]
    assert len(says) == 13  # twelve languages and the operator
    assert says[0] == ("en-US", "For English, press 1.")
    assert says[1][0] == "es-MX" and "2" in says[1][1]
    assert says[2][0] == "zh-TW" and says[3][0] == "zh-CN" and says[10][0] == "ja-JP"
    # Armenian and Farsi: Twilio has no voice for them, so they are named in English.
    assert says[7] == ("en-US", "For Armenian, press 8.") and says[8] == ("en-US", "For Persian, press 9.")
    assert "0" in says[12][1]
    assert root.find("Redirect") is not None  # no choice: the menu again


def test_choosing_farsi_texts_the_caller_a_link_to_the_chat_in_farsi(client, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    root = twiml(call(client, "/twilio/voice/choice", Digits="9"))
    assert root.find("Hangup") is not None and root.find("Say") is not None
    [sent] = fake_twilio.sent
    assert (sent["To"], sent["From"]) == (CALLER, OUR_NUMBER)
    assert PUBLIC_URL + "/?lang=fa" in sent["Body"]


def test_choosing_korean_answers_in_korean(client, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    say = twiml(call(client, "/twilio/voice/choice", Digits="5")).find("Say")
    assert say is not None and say.get("language") == "ko-KR"
    assert "lang=ko" in fake_twilio.sent[0]["Body"]


def test_zero_connects_to_a_311_operator(client, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    dial = twiml(call(client, "/twilio/voice/choice", Digits="0")).find("Dial")
    assert dial is not None and dial.text == "+12134733231" and fake_twilio.sent == []


@pytest.mark.parametrize("digits", ["", "13", "99", "#", "1*"])
def test_an_invalid_choice_repeats_the_menu(client, fake_twilio, digits: str) -> None:  # type: ignore[no-untyped-def]
    root = twiml(call(client, "/twilio/voice/choice", Digits=digits))
    assert root.find("Redirect") is not None and fake_twilio.sent == []


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/voice/choice"])
def test_unsigned_calls_are_refused(client, fake_twilio, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(path, data={"Digits": "1", "From": CALLER}, headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403 and response.get_data() == b"" and fake_twilio.sent == []


def test_a_failed_text_still_ends_the_call_politely(client, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    fake_twilio.status = 500
    root = twiml(call(client, "/twilio/voice/choice", Digits="1"))
    assert root.find("Say") is not None and root.find("Hangup") is not None
