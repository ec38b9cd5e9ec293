"""Delivery through the outbox, against a real SMTP server and a real webhook receiver on loopback."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import (
    Deliverer,
    DeliveryConfigError,
    Routing,
    SmtpSink,
    WebhookSink,
    default_backoff,
    load_delivery_config,
    verify_signature,
)
from bot.reports import NewReport, ReportStore
from bot.settings import PROJECT_ROOT
from tests.conftest import SmtpServer, Webhook

SECRET = "delivery-secret-" + "d" * 30
HOOK_SECRET = "hook-secret-" + "h" * 20
NOW = datetime(2025, 7, 7, 17, 0, tzinfo=timezone.utc)
ROUTING = Routing({"recreation_parks": ["liaison.parks@city.example"], "public_library": ["liaison.library@city.example",
                                                                                         "deputy.library@city.example"]},
                  ["immigrant-affairs@city.example"])
WHAT = "Agentes con chalecos en la alberca de los niños"
CONTACT = "+1 213 555 0147"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.stop()


@pytest.fixture
def db_url(database_url: str) -> str:
    """Every delivery test runs on SQLite and on a real PostgreSQL (tests/conftest.py)."""
    return database_url


@pytest.fixture
def store(db_url: str) -> Iterator[ReportStore]:
    store = ReportStore(db_url, SECRET)
    yield store
    store.close()


def sinks(smtp: SmtpServer, hook: Webhook, **webhook: Any) -> list[SmtpSink | WebhookSink]:
    return [SmtpSink("email", "127.0.0.1", smtp.port, "kyr311-reports@city.example", timeout=2.0),
            WebhookSink("crm", hook.url, HOOK_SECRET, timeout=2.0, **webhook)]


def add(store: ReportStore, department: str | None = "recreation_parks", **changes: Any) -> str:
    report = NewReport(kind="enforcement", what=WHAT, where="Lincoln Park pool", department=department, facility=None,
                       occurred_at=NOW - timedelta(minutes=5), details="Dos camionetas", contact=CONTACT, lang="es", **changes)
    return store.add(report, sinks=["email", "crm"], now=NOW).code


def deliverer(store: ReportStore, smtp: SmtpServer, hook: Webhook, **options: Any) -> Deliverer:
    return Deliverer(store, sinks(smtp, hook), ROUTING, backoff=lambda attempt: 0.0, **options)


def test_a_report_is_delivered_once_to_each_sink_with_its_content_and_keys(store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    code = add(store)
    stats = deliverer(store, smtp, hook).run_once(NOW)
    assert (stats.claimed, stats.delivered, stats.retried, stats.failed) == (2, 2, 0, 0)
    assert deliverer(store, smtp, hook).run_once(NOW + timedelta(hours=1)).claimed == 0
    [(recipients, message)] = smtp.messages
    assert recipients == ["liaison.parks@city.example"]
    assert code in message["Subject"] and "recreation_parks" in message["Subject"]
    key = store.delivery_key(code, "email")
    assert message["X-KYR311-Delivery-Key"] == key and message["Message-ID"] == f"<{key}@city.example>"
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    for expected in (WHAT, "Lincoln Park pool", "Dos camionetas", CONTACT, "es (Spanish)", code):
        assert expected in text
    [payload] = hook.accepted
    assert payload["service_request_id"] == code and payload["kyr311"]["department"] == "recreation_parks"
    assert payload["status"] == "open" and payload["address"] == "Lincoln Park pool"
    assert CONTACT not in json.dumps(payload, ensure_ascii=False)  # the webhook gets no contact unless configured
    [(headers, _, _)] = hook.received
    assert headers["idempotency-key"] == store.delivery_key(code, "crm") != key
    assert [d.state for d in store.deliveries(code)] == ["done", "done"]


def test_each_department_reaches_only_its_own_liaisons(store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    parks, library = add(store, "recreation_parks"), add(store, "public_library")
    deliverer(store, smtp, hook).run_once(NOW)
    sent = {message["X-KYR311-Report"]: sorted(recipients) for recipients, message in smtp.messages}
    assert sent == {parks: ["liaison.parks@city.example"],
                    library: ["deputy.library@city.example", "liaison.library@city.example"]}
    assert sorted(p["kyr311"]["department"] for p in hook.accepted) == ["public_library", "recreation_parks"]


def test_a_general_report_and_one_for_a_department_without_a_liaison_go_to_the_general_recipients(
        store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    general, zoo = add(store, None), add(store, "zoo")
    deliverer(store, smtp, hook).run_once(NOW)
    assert {m["X-KYR311-Report"]: r for r, m in smtp.messages} == {general: ["immigrant-affairs@city.example"],
                                                                  zoo: ["immigrant-affairs@city.example"]}
    assert {p["service_request_id"]: p["agency_responsible"] for p in hook.accepted} == {general: None, zoo: "zoo"}


def test_smtp_down_then_back_is_retried_and_delivered_exactly_once(store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    code = add(store)
    smtp.stop()
    worker = deliverer(store, smtp, hook)
    stats = worker.run_once(NOW)
    assert (stats.delivered, stats.retried) == (1, 1)
    email_row = next(d for d in store.deliveries(code) if d.sink == "email")
    assert (email_row.state, email_row.attempts) == ("pending", 1) and "ConnectionRefused" in (email_row.last_error or "")
    smtp.start()
    assert worker.run_once(NOW).delivered == 1
    assert worker.run_once(NOW + timedelta(hours=1)).claimed == 0
    assert [m["X-KYR311-Report"] for _, m in smtp.messages] == [code] and len(hook.accepted) == 1


def test_webhook_errors_and_outage_are_retried_under_one_idempotency_key(store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    code = add(store)
    worker = deliverer(store, smtp, hook)
    hook.status = 500
    assert worker.run_once(NOW).retried == 1
    hook.stop()
    assert worker.run_once(NOW).retried == 1
    hook.status = 200
    hook.start()
    assert worker.run_once(NOW).delivered == 1
    assert worker.run_once(NOW).claimed == 0
    assert [status for _, _, status in hook.received] == [500, 200]
    assert {headers["idempotency-key"] for headers, _, _ in hook.received} == {store.delivery_key(code, "crm")}
    assert [p["service_request_id"] for p in hook.accepted] == [code] and len(smtp.messages) == 1
    assert next(d for d in store.deliveries(code) if d.sink == "crm").attempts == 3


def test_a_retry_waits_for_its_backoff(store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    add(store)
    worker = Deliverer(store, sinks(smtp, hook), ROUTING, backoff=lambda attempt: 60.0 * attempt)
    hook.status = 500
    worker.run_once(NOW)
    hook.status = 200
    assert worker.run_once(NOW + timedelta(seconds=59)).claimed == 0
    assert worker.run_once(NOW + timedelta(seconds=60)).delivered == 1
    assert 22.5 <= default_backoff(1) <= 37.5 and 45 <= default_backoff(2) <= 75 and default_backoff(30) <= 4500


def test_two_deliverers_racing_on_one_database_never_send_twice(db_url: str, store: ReportStore, smtp: SmtpServer,
                                                                hook: Webhook) -> None:
    codes = [add(store) for _ in range(12)]
    stores = [ReportStore(db_url, SECRET) for _ in range(2)]
    workers = [deliverer(each, smtp, hook) for each in stores]
    start = threading.Barrier(len(workers))

    def work(worker: Deliverer) -> None:
        start.wait()
        for _ in range(3):
            worker.run_once(NOW)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m["X-KYR311-Report"] for _, m in smtp.messages) == sorted(codes)
    assert sorted(p["service_request_id"] for p in hook.accepted) == sorted(codes)
    assert all(d.state == "done" and d.attempts == 1 for code in codes for d in store.deliveries(code))
    for each in stores:
        each.close()


def test_after_max_attempts_a_delivery_is_kept_as_failed_and_logged_without_content(
        store: ReportStore, smtp: SmtpServer, hook: Webhook, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    code = add(store)
    worker = deliverer(store, smtp, hook, max_attempts=3)
    hook.status = 500
    outcomes = [worker.run_once(NOW) for _ in range(4)]
    assert [(s.retried, s.failed) for s in outcomes[:3]] == [(1, 0), (1, 0), (0, 1)] and outcomes[3].claimed == 0
    crm = next(d for d in store.deliveries(code) if d.sink == "crm")
    assert (crm.state, crm.attempts, crm.last_error) == ("failed", 3, "RuntimeError: webhook answered HTTP 500")
    assert store.purge_delivered(0, now=NOW + timedelta(days=365)) == 0 and store.get(code) is not None
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert code in warning.getMessage() and "crm" in warning.getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert code in logged and all(text not in logged for text in (WHAT, "Lincoln Park", "camionetas", CONTACT))


def test_a_report_that_cannot_be_read_fails_at_once_without_sending(db_url: str, store: ReportStore, smtp: SmtpServer,
                                                                      hook: Webhook) -> None:
    code = add(store)
    rotated = ReportStore(db_url, "a-rotated-secret-" + "x" * 30)  # the secret key changed: the text cannot be decrypted
    stats = deliverer(rotated, smtp, hook).run_once(NOW)
    rotated.close()
    assert (stats.claimed, stats.failed) == (2, 2) and smtp.messages == [] and hook.received == []
    assert [d.state for d in store.deliveries(code)] == ["failed", "failed"] and store.get(code) is not None
    assert deliverer(store, smtp, hook).run_once(NOW).claimed == 0  # failed rows wait for a person, not for a retry
    store.forget(code)
    assert store.deliveries(code) == []


def test_the_webhook_signature_verifies_and_contact_is_sent_only_when_configured(
        store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    code = add(store)
    Deliverer(store, sinks(smtp, hook, include_contact=True), ROUTING).run_once(NOW)
    [(headers, body, _)] = hook.received
    assert verify_signature(body, HOOK_SECRET, headers["x-kyr311-signature"])
    assert not verify_signature(body.replace(code.encode(), b"KYR-2222-2222"), HOOK_SECRET, headers["x-kyr311-signature"])
    assert not verify_signature(body, "another secret", headers["x-kyr311-signature"])
    assert json.loads(body)["kyr311"]["contact"] == CONTACT and "contact" not in {k for k in json.loads(body) if k != "kyr311"}


def test_the_background_thread_delivers_until_stopped(store: ReportStore, smtp: SmtpServer, hook: Webhook) -> None:
    worker = deliverer(store, smtp, hook)
    worker.start(interval=0.05)
    code = add(store)
    deadline = time.monotonic() + 5
    while len(hook.accepted) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.stop()
    assert [p["service_request_id"] for p in hook.accepted] == [code]
    assert not any(t.name == "kyr311-deliverer" for t in threading.enumerate())


def test_the_example_configuration_loads(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "docs" / "delivery.example.yml").read_text(encoding="utf-8").replace("/run/secrets/", f"{tmp_path}/")
    (tmp_path / "kyr311_smtp_password").write_text("smtp-pass\n")
    (tmp_path / "kyr311_webhook_secret").write_text("hook-secret\n")
    (tmp_path / "delivery.yml").write_text(text)
    sinks_, routing = load_delivery_config(tmp_path / "delivery.yml")
    email_sink, crm = sinks_
    assert isinstance(email_sink, SmtpSink) and (email_sink.port, email_sink.starttls, email_sink.password) == (587, True, "smtp-pass")
    assert isinstance(crm, WebhookSink) and crm.secret == "hook-secret" and crm.include_contact is False
    assert routing.recipients(None) == routing.recipients("unknown") == ["immigrant-affairs@example.org"]
    assert routing.recipients("recreation_parks") == ["liaison.parks@example.org"]
    assert "smtp-pass" not in repr(email_sink) and "hook-secret" not in repr(crm)


@pytest.mark.parametrize(("text", "message"), [
    ("sinks: [", "not valid YAML"),
    ("routing: {}", "a list `sinks`"),
    ("sinks: [{name: 'e mail', type: webhook, url: 'https://x.org'}]", r"sinks\[0\]\.name: use letters"),
    ("sinks: [{name: a, type: fax}]", r"sinks\[0\]\.type: must be smtp or webhook"),
    ("sinks: [{name: a, type: smtp, host: h, port: 99999, sender: s@x.org}]\nrouting: {general: [g@x.org]}", r"sinks\[0\]\.port"),
    ("sinks: [{name: a, type: smtp, host: h, port: '25', sender: s@x.org}]", r"sinks\[0\]\.port: must be a whole number"),
    ("sinks: [{name: a, type: smtp, port: 25, sender: s@x.org}]", r"sinks\[0\]\.host: missing"),
    ("sinks: [{name: a, type: smtp, host: h, port: 25, sender: s@x.org}]", "routing.general: an smtp sink needs"),
    ("sinks: [{name: a, type: webhook, url: 'http://crm.example.org/x'}]", r"sinks\[0\]\.url: must be an https URL"),
    ("sinks: [{name: a, type: webhook, url: 'https://x.org'}, {name: a, type: webhook, url: 'https://y.org'}]", "same name"),
    ("sinks: [{name: a, type: webhook, url: 'https://x.org', secret_file: nowhere}]", r"sinks\[0\]\.secret_file: cannot read"),
    ("sinks: []\nrouting: {liaisons: {rap: liaison@x.org}}", "routing.liaisons.rap: must be a list of e-mail addresses"),
])
def test_an_invalid_configuration_is_refused_naming_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "delivery.yml"
    path.write_text(text)
    with pytest.raises(DeliveryConfigError, match=message) as error:
        load_delivery_config(path)
    assert str(path) in str(error.value)
    with pytest.raises(DeliveryConfigError, match="cannot read"):
        load_delivery_config(tmp_path / "missing.yml")
