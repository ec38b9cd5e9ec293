"""POST /twilio/voice: callers choose a language and get the chat by text, or a 311 operator.

A TwiML <Gather> menu: each language is offered in that language where Twilio can speak
it, the others by name in English (keypad choice). On a choice the caller is texted a
link to the web chat opened in that language (the twilio REST client), or connected to
311. Signed like the SMS webhook; the caller's number is used to send that one text and
is neither logged nor stored.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from bot import languages
from bot.content import Catalog
from bot.messages import answer
from bot.settings import Settings
from connectors.twilio_rest import SendFailed, TwilioSender
from connectors.twilio_sms import signed

bp = Blueprint("twilio_voice", __name__, url_prefix="/twilio")
log = logging.getLogger(__name__)

OPERATOR_DIGIT = "0"
OPERATOR_CONTACT = "city_311_outside"  # 311's ten-digit number: "311" itself cannot be dialled from Twilio


def _ext() -> dict[str, Any]:
    return current_app.extensions["kyr311"]  # type: ignore[no-any-return]


def _menu_languages(catalog: Catalog) -> list[str]:
    return [tag for tag in languages.LANGUAGES if tag in catalog.locales]


def _say(node: VoiceResponse | Gather, text: str, lang: str) -> None:
    """Speak `text`, in `lang`'s voice when Twilio has one, else in English."""
    voice, language = languages.LANGUAGES[lang].say or languages.LANGUAGES["en"].say or ("alice", "en-US")
    node.say(text, voice=voice, language=language)


def _xml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="application/xml")


@bp.post("/voice")
def menu():  # type: ignore[no-untyped-def]
    settings: Settings = _ext()["settings"]
    if not signed(settings):
        return Response(status=403)
    catalog: Catalog = _ext()["content"].get()
    response = VoiceResponse()
    _say(response, answer(catalog, "voice.welcome", "en", "sms")["text"], "en")
    gather = Gather(action=f"{settings.public_url}/twilio/voice/choice", method="POST", timeout=4, finish_on_key="#")
    for digit, tag in enumerate(_menu_languages(catalog), 1):
        if languages.LANGUAGES[tag].say:
            _say(gather, catalog.label("voice.press", tag, digit=digit), tag)
        else:
            named = catalog.label("voice.press_named", "en", language=languages.english_name(tag), digit=digit)
            _say(gather, named, "en")
    _say(gather, catalog.label("voice.operator_choice", "en", digit=OPERATOR_DIGIT), "en")
    response.append(gather)
    response.redirect(f"{settings.public_url}/twilio/voice", method="POST")  # no choice: say it again
    return _xml(response)


@bp.post("/voice/choice")
def choice():  # type: ignore[no-untyped-def]
    settings: Settings = _ext()["settings"]
    if not signed(settings):
        return Response(status=403)
    catalog: Catalog = _ext()["content"].get()
    digits = request.form.get("Digits", "").strip()
    response = VoiceResponse()
    if digits == OPERATOR_DIGIT:
        _say(response, answer(catalog, "voice.operator", "en", "sms")["text"], "en")
        response.dial("+1" + catalog.values[OPERATOR_CONTACT].replace("-", ""))
        log.info("voice: caller connected to 311")
        return _xml(response)
    menu_tags = _menu_languages(catalog)
    if not digits.isdigit() or not 1 <= int(digits) <= len(menu_tags):
        response.redirect(f"{settings.public_url}/twilio/voice", method="POST")
        return _xml(response)
    lang = menu_tags[int(digits) - 1]
    link = catalog.label("voice.link", lang, url=f"{settings.public_url}/?lang={lang}")
    sender: TwilioSender = _ext()["sms_worker"].sender
    try:
        sender.send(request.form.get("From", ""), request.form.get("To", ""), link)
    except SendFailed:
        log.warning("voice: the chat link could not be texted")
    _say(response, answer(catalog, "voice.link_sent", lang, "sms")["text"], lang)
    response.hangup()
    log.info("voice: chat link texted (%s)", lang)
    return _xml(response)
