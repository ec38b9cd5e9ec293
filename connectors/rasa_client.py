"""A small client for Rasa's REST channel: a timeout, one clear failure type, and failover.

With several Rasa instances (sharing PostgreSQL trackers and Redis locks), each conversation
goes to the same instance every time (rendezvous hashing on its hashed id), so its turns stay
in order on one process. When that instance refuses the connection, the message goes to the
next one in the conversation's order, and the dead one is skipped for a while. Only a refused
or broken connection moves a message: a timeout does not, because the first instance may
still be answering it, and the resident must not get two answers. When the instance is
confirmed dead (it refuses a new connection too), `on_dead(sender)` runs first: the gateway
frees the conversation's lock there, so that the next instance need not wait for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

__all__ = ["RasaClient", "RasaUnavailable"]

log = logging.getLogger(__name__)
DOWN_SECONDS = 10.0


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered badly."""


class RasaClient:
    """Posts one message to Rasa's REST webhook and returns the bot's messages."""

    def __init__(self, base_urls: Sequence[str] | str, actions_url: str, timeout: float, down_seconds: float = DOWN_SECONDS,
                 on_dead: Callable[[str], object] | None = None) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self.base_urls = [u.rstrip("/") for u in urls]
        self.actions_url = actions_url.rstrip("/")
        self.timeout = timeout
        self.down_seconds = down_seconds
        self.on_dead = on_dead
        self._down: dict[str, float] = {}
        self._lock = threading.Lock()
        self._http = requests.Session()

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    def order(self, sender: str) -> list[str]:
        """The instances to try for `sender`: its own first, the ones lately down last."""
        ranked = sorted(self.base_urls, key=lambda url: hashlib.sha256(f"{url}|{sender}".encode()).digest(), reverse=True)
        now = time.monotonic()
        with self._lock:
            return sorted(ranked, key=lambda url: self._down.get(url, 0.0) > now)

    def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send `text` as `sender` (a hashed id); raise RasaUnavailable when no answer comes."""
        body: dict[str, Any] = {"sender": sender, "message": text, "metadata": metadata}
        for url in self.order(sender):
            try:
                response = self._http.post(f"{url}/webhooks/rest/webhook", json=body, timeout=self.timeout)
            except requests.ConnectionError as exc:
                # Refused or dropped before an answer: the instance is gone; the next one takes it.
                log.warning("rasa instance unreachable (%s): trying the next one", type(exc).__name__)
                with self._lock:
                    self._down[url] = time.monotonic() + self.down_seconds
                if self.on_dead is not None and not self._reachable(url):
                    self.on_dead(sender)
                continue
            except requests.RequestException as exc:
                log.warning("rasa unreachable: %s", type(exc).__name__)
                raise RasaUnavailable(type(exc).__name__) from None
            return self._messages(response)
        raise RasaUnavailable("no Rasa instance answers")

    @staticmethod
    def _messages(response: requests.Response) -> list[dict[str, Any]]:
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

    def _reachable(self, url: str) -> bool:
        """Does the instance accept a connection at all (a dropped request may come from a live one)?"""
        try:
            self._http.get(f"{url}/", timeout=1)
        except requests.ConnectionError:
            return False
        except requests.RequestException:
            return True  # it accepted the connection and is slow: alive
        return True

    def _answers(self, url: str) -> bool:
        try:
            return self._http.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def health(self) -> dict[str, bool]:
        """Whether some Rasa instance and the action server answer their health checks."""
        return {"rasa": any(self._answers(f"{url}/") for url in self.base_urls),
                "actions": self._answers(f"{self.actions_url}/health")}
