"""A small client for Rasa's REST channel, with a timeout and one clear failure type."""

from __future__ import annotations

import logging
from typing import Any

import requests

__all__ = ["RasaClient", "RasaUnavailable"]

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered badly."""


class RasaClient:
    """Posts one message to Rasa's REST webhook and returns the bot's messages."""

    def __init__(self, base_url: str, actions_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.actions_url = actions_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()

    def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send `text` as `sender` (a hashed id); raise RasaUnavailable when no answer comes."""
        body: dict[str, Any] = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = self._http.post(f"{self.base_url}/webhooks/rest/webhook", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("rasa unreachable: %s", type(exc).__name__)
            raise RasaUnavailable(type(exc).__name__) from None
        if response.status_code != 200:
            log.warning("rasa answered HTTP %s", response.status_code)
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            messages = response.json()
        except ValueError:
            raise RasaUnavailable("invalid JSON") from None
        if not isinstance(messages, list) or not messages:
            # An empty answer means an action failed (the action server is down or broke).
            log.warning("rasa answered with no messages")
            raise RasaUnavailable("no messages")
        return messages

    def health(self) -> dict[str, bool]:
        """Whether Rasa and the action server answer their health checks."""
        checks = {"rasa": f"{self.base_url}/", "actions": f"{self.actions_url}/health"}
        status = {}
        for name, url in checks.items():
            try:
                status[name] = self._http.get(url, timeout=2).status_code == 200
            except requests.RequestException:
                status[name] = False
        return status
