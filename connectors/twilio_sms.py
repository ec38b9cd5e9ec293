"""POST /twilio/sms: residents texting 311, answered in TwiML, safely.

- Only requests signed by Twilio (X-Twilio-Signature over KYR_PUBLIC_URL and every form
  parameter, checked by the twilio library's RequestValidator) are read; anything else
  gets an empty 403 and leaves no trace.
- A redelivered MessageSid is processed once; the retry gets the first reply, even when
  both arrive together.
- STOP and its equivalents in every locale silence the line for that number until START;
  HELP gets a short help text. Only a message that is just the keyword counts.
- Twilio waits 15 s: when Rasa has not answered within KYR_SMS_REPLY_BUDGET (10 s), the
  resident gets a short holding text with the hotline at once, and the answer follows by
  the REST API. When Rasa is down the message is held (encrypted) and answered once Rasa is
  back (connectors.twilio_worker). One answer per message, never two.
- The conversation id is a keyed hash of the number. The From* location fields are never
  read. No number or message text is logged.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
from typing import Any

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot import choices, languages, privacy, sms_reply
from bot.content import Catalog
from bot.gateway_store import GatewayStore
from bot.messages import answer
from bot.settings import Settings
from connectors.chat import clean
from connectors.rasa_client import RasaUnavailable

bp = Blueprint("twilio_sms", __name__, url_prefix="/twilio")
log = logging.getLogger(__name__)

MAX_MEDIA = 10  # Twilio sends at most 10 media items with an MMS
# A phone number a resident types into a message is replaced before it reaches Rasa's tracker.
_TYPED_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")


def _ext() -> dict[str, Any]:
    return current_app.extensions["kyr311"]  # type: ignore[no-any-return]


def signed(settings: Settings) -> bool:
    """Is this request signed by Twilio, for the URL Twilio called (behind any proxy)?"""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.twilio_auth_token or not signature:
        return False
    url = settings.public_url + request.full_path.rstrip("?")
    return bool(RequestValidator(settings.twilio_auth_token).validate(url, request.form, signature))


def twiml(texts: list[str]) -> Response:
    """A TwiML reply with one <Message> for each text (none: Twilio sends nothing)."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(str(response), mimetype="application/xml")


def redact(text: str) -> str:
    """Replace phone numbers typed in a message: a ZIP code stays, a number does not.

    >>> redact("call me at (213) 555-0100 or +1 213 555 0101, I live in 90012")
    'call me at [phone] or [phone], I live in 90012'
    """
    return _TYPED_PHONE.sub("[phone]", text)


def media_urls() -> list[str]:
    """The URLs of an MMS's photos, passed on for the report flow (nothing else about them)."""
    try:
        count = min(int(request.form.get("NumMedia", "0")), MAX_MEDIA)
    except ValueError:
        return []
    urls = (request.form.get(f"MediaUrl{i}", "") for i in range(count))
    return [url for url in urls if url.startswith("https://")]


@bp.post("/sms")
def incoming_sms():  # type: ignore[no-untyped-def]
    settings: Settings = _ext()["settings"]
    if not signed(settings):
        return Response(status=403)
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    phone = request.form.get("From", "")
    if not sid or not phone:
        return Response(status=400)
    store: GatewayStore = _ext()["gateway_store"]
    key = store.key(sid)
    claim = store.claim(key)
    if not claim.first:
        reply = claim.reply or store.wait_reply(key, timeout=settings.sms_reply_budget + 3)
        log.info("sms: duplicate delivery answered from the first")
        return Response(reply or str(MessagingResponse()), mimetype="application/xml")
    try:
        response = _answer(settings, store, key, phone)
    except Exception as exc:  # a retry must not wait forever for a reply that will never come
        log.error("sms: failed: %s", type(exc).__name__)
        catalog: Catalog = _ext()["content"].get()
        response = _texts(catalog, "system.unavailable", languages.DEFAULT_LOCALE)
    store.finish(key, response.get_data(as_text=True))
    return response


def _answer(settings: Settings, store: GatewayStore, key: str, phone: str) -> Response:
    catalog: Catalog = _ext()["content"].get()
    conversation = privacy.conversation_id(settings.secret_key, "sms", phone)
    text = clean(request.form.get("Body", ""))
    lang = store.lang(conversation) or languages.choose(text, None, catalog.locales, nlu_dir=settings.nlu_dir).lang
    found = sms_reply.command(text, catalog)
    name, keyword_lang = found if found else ("", lang)
    if store.opted_out(conversation):
        if name != "start":
            log.info("sms: opted-out number, no reply")
            return twiml([])
        store.opt_in(conversation)
        return _texts(catalog, "sms.opted_in", keyword_lang)
    if name == "stop":
        store.opt_out(conversation)
        log.info("sms: opt-out recorded")
        return twiml([])  # Twilio's own opt-out confirmation is the only reply
    if name == "help":
        return _texts(catalog, "sms.help", keyword_lang)
    if name == "more":
        page = store.next_page(conversation)
        return twiml([page]) if page else _texts(catalog, "sms.no_more", lang)
    media = media_urls()
    if not text and not media:
        return _texts(catalog, "system.empty_message", lang)
    if len(text) > settings.max_message_chars:
        return _texts(catalog, "system.too_long", lang, {"max_chars": settings.max_message_chars})
    message = _for_rasa(text, name, conversation)
    metadata: dict[str, Any] = {"channel": "sms", **({"media": media} if media else {})}
    typed = _TYPED_PHONE.findall(text)
    if typed and "[phone]" in message:
        # Rasa sees [phone]; a report's contact step may use the number, so it travels sealed.
        metadata["sealed_phones"] = privacy.seal(settings.secret_key, typed)
    payload = {"to": phone, "from": request.form.get("To", ""), "conversation": conversation, "text": message,
               "metadata": metadata, "lang": lang}
    return _relay(settings, store, key, payload, catalog)


def _for_rasa(text: str, command: str, conversation: str) -> str:
    """What Rasa gets: the payload a number or a menu word stands for, else the redacted text."""
    offers: choices.Offers = _ext()["offers"]
    picked = offers.pick(conversation, text)
    if picked:
        return picked
    if command == "language":
        return choices.LANGUAGE_MENU
    if command == "menu":
        return "/help_menu"
    return redact(text) or "/inform_location"  # a photo alone: the report flow asks what it shows


def _relay(settings: Settings, store: GatewayStore, key: str, payload: dict[str, Any], catalog: Catalog) -> Response:
    """Ask Rasa within the time budget; else a holding text now and the answer later."""
    worker = _ext()["sms_worker"]
    future: concurrent.futures.Future[list[str]] = worker.submit(payload)
    try:
        pages = future.result(timeout=settings.sms_reply_budget)
    except concurrent.futures.TimeoutError:
        # Too slow: hold it; whichever finishes it first (this call or the retry loop) texts it.
        store.hold(key, payload)
        future.add_done_callback(lambda done: worker.deliver_late(key, payload, done))
        log.info("sms: answer late, holding text sent")
        return _texts(catalog, "sms.holding", payload["lang"])
    except RasaUnavailable:
        store.hold(key, payload)
        log.warning("sms: assistant unavailable, message held for a later answer")
        return _texts(catalog, "sms.holding", payload["lang"])
    return twiml(pages[:1])


def _texts(catalog: Catalog, key: str, lang: str, extra: dict[str, object] | None = None) -> Response:
    return twiml([answer(catalog, key, lang, "sms", extra)["text"]])
