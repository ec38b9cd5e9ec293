"""Texts sent outside a webhook's reply (a late answer, a voice caller's chat link).

Through the twilio library's REST client. Its API address is a setting
(KYR_TWILIO_API_URL), so tests point it at a local server and intercept the HTTP request.
"""

from __future__ import annotations

import logging

import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from bot.settings import Settings

__all__ = ["SendFailed", "TwilioSender"]

log = logging.getLogger(__name__)


class SendFailed(RuntimeError):
    """Twilio did not accept the message."""


class TwilioSender:
    """Sends SMS through Twilio's REST API."""

    def __init__(self, settings: Settings) -> None:
        # The library logs each request at INFO, with the number and the text: never let it.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        self._client = Client(settings.twilio_account_sid or "AC-not-configured", settings.twilio_auth_token or "not-configured")
        self._client.api.base_url = settings.twilio_api_url.rstrip("/")

    def send(self, to: str, from_: str, body: str) -> None:
        """Text `body` to `to` from our number `from_`; raise SendFailed when Twilio refuses."""
        try:
            self._client.messages.create(to=to, from_=from_, body=body)
        except (TwilioException, requests.RequestException) as exc:
            log.warning("twilio send failed: %s", type(exc).__name__)
            raise SendFailed(type(exc).__name__) from None
