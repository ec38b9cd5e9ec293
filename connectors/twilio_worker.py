"""Answers for SMS that could not be given in the webhook's reply: late or held messages.

The webhook asks Rasa through `submit` and waits its time budget. A late answer is texted
by `deliver_late` when it comes; a message Rasa could not take (down, or an action failed)
stays held in the gateway store, and `retry_held` (run by a background thread every few
seconds, and callable from tests) asks again until Rasa answers. Every path first claims
the held message (`take_held`), so a message is answered once, whichever path gets there.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from typing import Any

from bot import sms_reply
from bot.choices import Offers
from bot.content import Catalog
from bot.content_store import ContentStore
from bot.gateway_store import GatewayStore
from bot.messages import BotMessage, answer
from bot.settings import Settings
from connectors.chat import to_message
from connectors.rasa_client import RasaClient, RasaUnavailable
from connectors.twilio_rest import SendFailed, TwilioSender

__all__ = ["SmsWorker", "reply_pages"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 30  # then the resident gets the "not available" text with the hotline, once
RETRY_AFTER = 15.0  # seconds a held message waits before the retry loop takes it


def reply_pages(raw: list[dict[str, Any]], catalog: Catalog, settings: Settings, store: GatewayStore,
                offers: Offers, conversation: str, fallback_lang: str) -> list[str]:
    """Shape Rasa's messages for SMS; remember the choices, the language and the MORE pages."""
    messages: list[BotMessage] = [m for m in (to_message(r, fallback_lang) for r in raw) if m is not None]
    shaped = sms_reply.shape(messages, catalog, settings.sms_max_segments)
    offers.remember(conversation, shaped.payloads)
    store.set_lang(conversation, shaped.lang)
    store.save_pages(conversation, shaped.pages[1:])
    return shaped.pages


class SmsWorker:
    """Talks to Rasa for SMS and texts late answers."""

    def __init__(self, settings: Settings, content: ContentStore, rasa: RasaClient, store: GatewayStore,
                 offers: Offers, sender: TwilioSender) -> None:
        self.settings, self.content, self.rasa, self.store, self.offers, self.sender = settings, content, rasa, store, offers, sender
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="sms")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, payload: dict[str, Any]) -> concurrent.futures.Future[list[str]]:
        """Ask Rasa in the background; the future gives the SMS pages of the answer."""
        return self._pool.submit(self.pages, payload)

    def pages(self, payload: dict[str, Any]) -> list[str]:
        """Rasa's answer to a message, shaped for SMS (raises RasaUnavailable)."""
        raw = self.rasa.send(payload["conversation"], payload["text"], payload["metadata"])
        catalog = self.content.get()
        return reply_pages(raw, catalog, self.settings, self.store, self.offers, payload["conversation"], payload["lang"])

    def deliver_late(self, key: str, payload: dict[str, Any], done: concurrent.futures.Future[list[str]]) -> None:
        """The late answer arrived (or failed): text it, unless another path already did."""
        if done.exception() is not None:
            return  # stays held; retry_held asks again
        if self.store.take_held(key):
            self._send(key, payload, done.result())

    def retry_held(self, min_age: float = RETRY_AFTER) -> int:
        """Ask Rasa again for every held message; return how many were answered."""
        answered = 0
        for held in self.store.waiting(min_age=min_age):
            if not self.store.take_held(held.message_key):
                continue
            try:
                pages = self.pages(held.payload)
            except RasaUnavailable:
                if held.attempts + 1 < MAX_ATTEMPTS:
                    self.store.release_held(held.message_key)
                    continue
                catalog = self.content.get()
                pages = [answer(catalog, "system.unavailable", held.payload["lang"], "sms")["text"]]
            answered += self._send(held.message_key, held.payload, pages)
        return answered

    def _send(self, key: str, payload: dict[str, Any], pages: list[str]) -> int:
        try:
            self.sender.send(payload["to"], payload["from"], pages[0])
        except SendFailed:
            self.store.release_held(key)
            return 0
        self.store.answered(key)
        log.info("sms: late answer texted")
        return 1

    def start(self, interval: float = 5.0) -> None:
        """Run retry_held every `interval` seconds in a daemon thread."""
        self.store.recover()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.retry_held()
                except Exception as exc:  # the loop must survive anything; say what, never the content
                    log.error("sms retry loop: %s", type(exc).__name__)

        self._thread = threading.Thread(target=loop, name="sms-retry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False)
