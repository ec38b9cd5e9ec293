"""The web chat API: server-issued sessions, and messages relayed to Rasa.

A session token is signed (itsdangerous) and carries only a random id; the conversation id
Rasa sees is a keyed hash of it, so a client can neither choose nor guess another
conversation. Message text never reaches a log.
"""

from __future__ import annotations

import logging
import secrets
import time
import unicodedata
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot import choices, languages, privacy, retention
from bot.choices import Offers
from bot.content import Catalog
from bot.messages import BotMessage, answer
from bot.settings import Settings
from connectors.rasa_client import RasaUnavailable

bp = Blueprint("chat", __name__, url_prefix="/chat")
log = logging.getLogger(__name__)

MESSAGE_FIELDS = ("text", "lang", "dir", "topic", "buttons", "sources", "last_reviewed", "status")


def _ext() -> dict[str, Any]:
    return current_app.extensions["kyr311"]  # type: ignore[no-any-return]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="kyr311.chat-session")


def _error(status: int, code: str, message: str, reply: BotMessage | None = None):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if reply is not None:
        body["messages"] = [reply]
    return jsonify(body), status


def clean(text: str) -> str:
    """NFC-normalize and drop control characters (keeping line breaks and tabs)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


def _request_lang(catalog: Catalog, body: dict[str, Any]) -> str | None:
    """An explicit language: the body's `lang`, or `?lang=`, if we serve it."""
    wanted = languages.normalize(body.get("lang") or request.args.get("lang"))
    return wanted if wanted in catalog.locales else None


def _error_lang(catalog: Catalog, explicit: str | None, text: str, nlu_dir: Path) -> str:
    """The language of an error reply: explicit, else Accept-Language, else detected."""
    if explicit:
        return explicit
    header = languages.negotiate(languages.parse_accept_language(request.headers.get("Accept-Language", "")), catalog.locales)
    if header:
        return header
    return languages.choose(text, None, catalog.locales, nlu_dir=nlu_dir).lang if text else languages.DEFAULT_LOCALE


def to_message(raw: dict[str, Any], fallback_lang: str) -> BotMessage | None:
    custom = raw.get("custom")
    if not isinstance(custom, dict) or not isinstance(custom.get("text"), str):
        return None
    message: dict[str, Any] = {field: custom.get(field) for field in MESSAGE_FIELDS}
    lang = message["lang"] if isinstance(message["lang"], str) else fallback_lang
    message["lang"] = lang
    message["dir"] = message["dir"] or languages.direction(lang)
    message["buttons"] = message["buttons"] or []
    message["sources"] = message["sources"] or []
    return message  # type: ignore[return-value]


def _chosen(offers: Offers, sender: str, text: str, catalog: Catalog) -> str:
    """What to send Rasa: the payload a number or menu keyword stands for, else the text."""
    picked = offers.pick(sender, text)
    if picked:
        return picked
    if choices.is_keyword(text, catalog.keywords("menu.change_language")):
        return choices.LANGUAGE_MENU
    return text


@bp.post("/sessions")
def create_session():  # type: ignore[no-untyped-def]
    settings: Settings = _ext()["settings"]
    token = _serializer(settings).dumps(secrets.token_urlsafe(16))
    return jsonify(session=token), 201


def _session_id(settings: Settings, token: str) -> str:
    """The random id inside a session token; raises SignatureExpired or BadSignature."""
    return str(_serializer(settings).loads(token, max_age=settings.session_max_age))


@bp.delete("/sessions/<token>")
def delete_session(token: str):  # type: ignore[no-untyped-def]
    """Forget a web conversation now (the widget's Clear chat and Quick exit)."""
    settings: Settings = _ext()["settings"]
    try:
        session_id = _serializer(settings).loads(token)  # an expired session may still be forgotten
    except BadSignature:
        return _error(404, "unknown_session", "No such chat session.")
    sender = privacy.conversation_id(settings.secret_key, "web", session_id)
    _ext()["offers"].forget(sender)
    events = retention.forget(settings.tracker_url, sender)
    log.info("chat session forgotten on request (%d events)", events)
    return "", 204


@bp.post("/sessions/<token>/messages")
def post_message(token: str):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    settings: Settings = _ext()["settings"]
    catalog: Catalog = _ext()["content"].get()
    try:
        session_id = _session_id(settings, token)
    except SignatureExpired:
        return _error(410, "session_expired", "This chat session has expired: create a new one with POST /chat/sessions.")
    except BadSignature:
        return _error(404, "unknown_session", "No such chat session: create one with POST /chat/sessions.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "bad_json", 'Send a JSON object like {"text": "hello"} with Content-Type: application/json.')
    if not isinstance(body.get("text"), str) or not isinstance(body.get("lang", ""), (str, type(None))):
        return _error(400, "bad_text", '"text" must be a string, and "lang", if given, a language tag such as "es".')
    explicit = _request_lang(catalog, body)
    text = clean(body["text"])
    if not text:
        lang = _error_lang(catalog, explicit, text, settings.nlu_dir)
        return _error(400, "empty_message", "The message is empty.", answer(catalog, "system.empty_message", lang, "web"))
    if len(text) > settings.max_message_chars:
        lang = _error_lang(catalog, explicit, text, settings.nlu_dir)
        reply = answer(catalog, "system.too_long", lang, "web", {"max_chars": settings.max_message_chars})
        return _error(413, "message_too_long", f"Messages may have at most {settings.max_message_chars} characters.", reply)
    sender = privacy.conversation_id(settings.secret_key, "web", session_id)
    metadata = {"channel": "web", **({"lang": explicit} if explicit else {})}
    offers: Offers = _ext()["offers"]
    try:
        raw = _ext()["rasa"].send(sender, _chosen(offers, sender, text, catalog), metadata)
    except RasaUnavailable:
        lang = _error_lang(catalog, explicit, text, settings.nlu_dir)
        reply = answer(catalog, "system.unavailable", lang, "web")
        log.warning("chat reply degraded: assistant unavailable (%.0f ms)", (time.monotonic() - started) * 1000)
        return _error(503, "assistant_unavailable", "The assistant is not available right now.", reply)
    messages = [m for m in (to_message(r, explicit or languages.DEFAULT_LOCALE) for r in raw) if m is not None]
    offers.remember(sender, [b["payload"] for m in messages for b in m["buttons"]])
    log.info("chat reply: %d messages in %.0f ms", len(messages), (time.monotonic() - started) * 1000)
    return jsonify(messages=messages)
