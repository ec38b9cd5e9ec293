"""Retention and deletion on SQLite and on a real PostgreSQL: `purge` and `forget --phone`."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot import privacy, retention
from bot.cli import main
from bot.gateway_store import GatewayStore
from bot.reports import NewReport, ReportStore

SECRET = "f" * 40
PHONE = "+1 (213) 555-0147"
# The columns of Rasa's SQLTrackerStore that retention touches, as Rasa creates them.
EVENTS = ("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL, "
          "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")


def _events(url: str, rows: list[tuple[str, float]]) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as db:
        db.execute(text(EVENTS.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY") if url.startswith("postgresql") else EVENTS))
        for sender, stamp in rows:
            db.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, '{}')"),
                       {"s": sender, "t": stamp})
    engine.dispose()


def _senders(url: str) -> list[str]:
    engine = create_engine(url, future=True)
    with engine.connect() as db:
        senders = sorted({row[0] for row in db.execute(text("SELECT sender_id FROM events"))})
    engine.dispose()
    return senders


def _kyr311_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """Point the kyr311 command at SQLite files in tmp_path, or at the PostgreSQL database;
    return the URLs of the trackers, the SMS gateway's state and the reports."""
    monkeypatch.setenv("KYR_SECRET_KEY", SECRET)
    monkeypatch.setenv("KYR_VAR_DIR", str(tmp_path))
    if not database_url.startswith("sqlite"):
        monkeypatch.setenv("KYR_DATABASE_URL", database_url)
        return database_url, database_url, database_url
    monkeypatch.setenv("KYR_DATABASE_URL", "")
    return f"sqlite:///{tmp_path / 'trackers.db'}", f"sqlite:///{tmp_path / 'gateway.db'}", f"sqlite:///{tmp_path / 'reports.db'}"


def test_purge_removes_only_idle_conversations(database_url: str) -> None:
    now = time.time()
    _events(database_url, [("old", now - 40 * 86400), ("old", now - 35 * 86400), ("recent", now - 40 * 86400), ("recent", now - 60)])
    assert retention.purge(database_url, 30, now=now) == 1
    assert _senders(database_url) == ["recent"]


def test_forget_removes_one_conversation(database_url: str) -> None:
    _events(database_url, [("a", 1.0), ("a", 2.0), ("b", 3.0)])
    assert retention.forget(database_url, "a") == 2 and retention.forget(database_url, "a") == 0
    assert _senders(database_url) == ["b"]


def test_a_store_without_events_yet_is_left_alone(tmp_path: Path) -> None:
    assert retention.purge(tmp_path / "missing.db", 30) == 0 and retention.forget(f"sqlite:///{tmp_path / 'none.db'}", "a") == 0


def test_forget_by_phone_removes_the_conversation_records_and_reports_with_that_contact(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    trackers, gateway_url, reports_url = _kyr311_env(database_url, tmp_path, monkeypatch)
    mine = privacy.conversation_id(SECRET, "sms", PHONE)
    _events(trackers, [(mine, 1.0), (mine, 2.0), ("someone-else", 3.0)])
    gateway = GatewayStore(gateway_url, SECRET)
    gateway.set_lang(mine, "es")
    gateway.save_pages(mine, ["the rest"])
    gateway.hold("sid-1", {"conversation": mine, "to": PHONE, "text": "hola"})
    gateway.opt_out(mine)
    gateway.close()
    reports = ReportStore(reports_url, SECRET)
    when = datetime.now(timezone.utc)
    kept = reports.add(NewReport("enforcement", "agents", "park", None, None, when, contact="someone@example.org"))
    gone = reports.add(NewReport("enforcement", "agents", "park", None, None, when, contact="text me at 213-555-0147"))
    reports.close()

    assert main(["forget", "--phone", PHONE]) == 0
    assert "Deleted 2 conversation events, 3 SMS gateway records and 1 reports" in capsys.readouterr().out
    assert _senders(trackers) == ["someone-else"]
    gateway = GatewayStore(gateway_url, SECRET)
    assert gateway.lang(mine) is None and gateway.next_page(mine) is None and gateway.waiting() == []
    assert gateway.opted_out(mine)  # STOP is honoured after forgetting
    gateway.close()
    reports = ReportStore(reports_url, SECRET)
    assert reports.get(gone.code) is None and reports.get(kept.code) is not None
    reports.close()


def test_forget_needs_a_whole_number(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KYR_SECRET_KEY", SECRET)
    monkeypatch.setenv("KYR_VAR_DIR", str(tmp_path))
    assert main(["forget", "--phone", "555"]) == 2


def test_purge_command_removes_old_conversations_duplicate_records_and_delivered_reports(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    trackers, gateway_url, reports_url = _kyr311_env(database_url, tmp_path, monkeypatch)
    now, old = time.time(), time.time() - 40 * 86400
    _events(trackers, [("idle", old), ("talking", old), ("talking", now - 60)])
    gateway = GatewayStore(gateway_url, SECRET)
    with monkeypatch.context() as clock:
        clock.setattr(time, "time", lambda: old)
        gateway.claim(gateway.key("SMold"))
        gateway.opt_out("stopped-long-ago")
    gateway.claim(gateway.key("SMnew"))
    gateway.close()
    reports = ReportStore(reports_url, SECRET)
    stale = reports.add(NewReport("enforcement", "agents", "park", None, None, datetime.fromtimestamp(old, timezone.utc)),
                        now=datetime.fromtimestamp(old, timezone.utc))
    fresh = reports.add(NewReport("enforcement", "agents", "park", None, None, datetime.now(timezone.utc)))
    reports.close()

    assert main(["purge", "--older-than", "30"]) == 0
    assert "Deleted 1 conversations, 1 SMS gateway records and 1 delivered reports" in capsys.readouterr().out
    assert _senders(trackers) == ["talking"]
    gateway = GatewayStore(gateway_url, SECRET)
    assert gateway.claim(gateway.key("SMold")).first  # its duplicate record is gone: the id is new again
    assert not gateway.claim(gateway.key("SMnew")).first  # a recent one still stops a Twilio retry
    assert gateway.opted_out("stopped-long-ago")  # STOP is never purged
    gateway.close()
    reports = ReportStore(reports_url, SECRET)
    assert reports.get(stale.code) is None and reports.get(fresh.code) is not None
    reports.close()
