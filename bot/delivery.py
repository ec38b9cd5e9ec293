"""Deliver stored reports to the liaisons: an outbox worked over e-mail (SMTP) and an HTTPS webhook.

`ReportStore.add` leaves one pending outbox row per sink; a `Deliverer` claims the due rows
(a guarded UPDATE, so two deliverers never send the same row), sends each, and marks it done
or schedules a retry with exponential backoff and jitter. After `max_attempts` a row stays
`failed`, never deleted. Every attempt carries the same delivery key (e-mail `Message-ID` and
`X-KYR311-Delivery-Key`; webhook `Idempotency-Key`), so a receiver can drop a repeat.
Logs name codes, departments, sinks and attempt counts only, never what the resident wrote.

The sinks and the routing come from a YAML file read by `bot.delivery_config` (format there;
see docs/delivery.example.yml).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import requests

from bot.delivery_config import DeliveryConfigError, Routing, SmtpSink, WebhookSink, load_delivery_config
from bot.open311 import SERVICE_NAMES, iso, to_georeport
from bot.reports import OutboxItem, Report, ReportStore

__all__ = ["Deliverer", "DeliveryConfigError", "DeliveryStats", "Routing", "SmtpSink", "WebhookSink", "build_email",
           "default_backoff", "load_delivery_config", "sign", "verify_signature", "webhook_body"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryStats:
    """What one `Deliverer.run_once` did."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def default_backoff(attempt: int) -> float:
    """Seconds before the next try after `attempt` failed: 30 s doubling to an hour, with jitter."""
    return min(3600.0, 30.0 * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)


def sign(body: bytes, secret: str) -> str:
    """The X-KYR311-Signature of a webhook body: hex HMAC-SHA256 with the sink's secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, signature: str) -> bool:
    """What a receiver does: check X-KYR311-Signature in constant time."""
    return hmac.compare_digest(sign(body, secret), signature.strip())


def _language(tag: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return f"{tag} ({Locale.parse(tag, sep='-').get_display_name('en')})"
    except (ValueError, UnknownLocaleError):
        return tag


def build_email(report: Report, sink: SmtpSink, recipients: Sequence[str], delivery_key: str,
                agency_names: Mapping[str, str] | None = None) -> EmailMessage:
    """The e-mail a liaison receives: every field of the report, in English, keyed for de-duplication."""
    department = report.department or "general"
    agency = (agency_names or {}).get(department, department)
    message = EmailMessage()
    message["From"] = sink.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = f"KYR311 report {report.code}: {SERVICE_NAMES.get(report.kind, report.kind)} ({agency})"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{delivery_key}@{sink.sender.rpartition('@')[2] or 'kyr311'}>"
    message["X-KYR311-Delivery-Key"] = delivery_key
    message["X-KYR311-Report"] = report.code
    lines = [
        f"Reference code: {report.code}",
        f"Kind: {SERVICE_NAMES.get(report.kind, report.kind)}",
        f"Department: {agency}" + (f" [{report.department}]" if report.department and agency != report.department else ""),
        f"Facility: {report.facility or '-'}",
        f"When it happened: {iso(report.occurred_at)}",
        f"Received: {iso(report.created_at)}",
        f"Resident's language: {_language(report.lang)}",
        f"Channel: {report.channel}",
        "", "Where:", report.where, "", "What is happening:", report.what,
    ]
    if report.details:
        lines += ["", "Details:", report.details]
    if report.photo_urls:
        lines += ["", "Photos:", *report.photo_urls]
    lines += ["", "Contact (the resident agreed to be contacted):" if report.contact else "Contact: none, the report is anonymous.",
              *([report.contact] if report.contact else [])]
    message.set_content("\n".join(lines) + "\n")
    return message


def webhook_body(report: Report, delivery_key: str, include_contact: bool = False,
                 agency_names: Mapping[str, str] | None = None) -> bytes:
    """The webhook's JSON: the Open311 service request plus our fields under "kyr311"."""
    ours: dict[str, Any] = {"code": report.code, "kind": report.kind, "department": report.department, "facility": report.facility,
                            "occurred_at": iso(report.occurred_at), "details": report.details, "photo_urls": list(report.photo_urls),
                            "lang": report.lang, "channel": report.channel, "delivery_key": delivery_key}
    if include_contact and report.contact:
        ours["contact"] = report.contact
    payload = to_georeport(report, agency_names=agency_names) | {"kyr311": ours}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def _send_email(sink: SmtpSink, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp = smtplib.SMTP_SSL(sink.host, sink.port, timeout=sink.timeout, context=context) if sink.tls \
        else smtplib.SMTP(sink.host, sink.port, timeout=sink.timeout)
    with smtp:
        if sink.starttls and not sink.tls:
            smtp.starttls(context=context)
        if sink.username:
            smtp.login(sink.username, sink.password or "")
        smtp.send_message(message)


def _post(sink: WebhookSink, body: bytes, delivery_key: str) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": delivery_key, "User-Agent": "kyr311-delivery"}
    if sink.secret:
        headers["X-KYR311-Signature"] = sign(body, sink.secret)
    response = requests.post(sink.url, data=body, headers=headers, timeout=sink.timeout, allow_redirects=False)
    if not (200 <= response.status_code < 300 or response.status_code == 409):  # 409: already received under this key
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")


class Deliverer:
    """Works the outbox: claims due deliveries, sends them, records the outcome."""

    def __init__(self, store: ReportStore, sinks: Sequence[SmtpSink | WebhookSink], routing: Routing, *, max_attempts: int = 12,
                 backoff: Callable[[int], float] = default_backoff, batch: int = 50, lease: float = 600.0,
                 agency_names: Mapping[str, str] | None = None) -> None:
        self._sinks = {sink.name: sink for sink in sinks}
        if len(self._sinks) != len(sinks):
            raise ValueError("sinks: two sinks have the same name")
        self._store, self._routing, self._backoff = store, routing, backoff
        self._max_attempts, self._batch, self._lease = max(1, max_attempts), batch, lease
        self._agency_names = agency_names or {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: datetime | None = None) -> DeliveryStats:
        """Deliver every due delivery once; return what happened."""
        now = now or datetime.now(timezone.utc)
        # A claim older than the lease belongs to a deliverer that died mid-send: try it again.
        self._store.release_stale(now - timedelta(seconds=self._lease))
        outcomes = [self._deliver(item, now) for item in self._store.claim_due(list(self._sinks), now, self._batch)]
        return DeliveryStats(len(outcomes), outcomes.count("done"), outcomes.count("pending"), outcomes.count("failed"))

    def _send(self, report: Report, item: OutboxItem) -> None:
        sink = self._sinks[item.sink]
        if isinstance(sink, SmtpSink):
            recipients = self._routing.recipients(report.department)
            if not recipients:
                raise LookupError("no recipients: set routing.general")
            _send_email(sink, build_email(report, sink, recipients, item.delivery_key, self._agency_names))
        else:
            _post(sink, webhook_body(report, item.delivery_key, sink.include_contact, self._agency_names), item.delivery_key)

    def _deliver(self, item: OutboxItem, now: datetime) -> str:
        report = self._store.get(item.code)
        try:
            if report is None:
                raise LookupError("the report is gone or unreadable")
            self._send(report, item)
        except Exception as exc:  # any failure of one delivery is recorded and retried, never lost
            error = f"{type(exc).__name__}: {exc}"
            if report is None or item.attempts >= self._max_attempts:
                self._store.settle(item.id, "failed", error=error)
                log.warning("delivery: %s via %s failed after %d attempts (%s); kept as failed",
                            item.code, item.sink, item.attempts, type(exc).__name__)
                return "failed"
            self._store.settle(item.id, "pending", next_attempt_at=now + timedelta(seconds=self._backoff(item.attempts)), error=error)
            log.info("delivery: %s via %s attempt %d failed (%s); will retry", item.code, item.sink, item.attempts, type(exc).__name__)
            return "pending"
        self._store.settle(item.id, "done")
        log.info("delivery: %s (department %s) delivered via %s on attempt %d",
                 item.code, report.department or "general", item.sink, item.attempts)
        return "done"

    def start(self, interval: float = 5.0) -> None:
        """Run `run_once` every `interval` seconds in a daemon thread until `stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="kyr311-deliverer", daemon=True)
        self._thread.start()

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # the database may be briefly away; the next round tries again
                log.warning("delivery: round failed (%s)", type(exc).__name__)
            self._stop.wait(interval)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the background thread after the round it is in."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

