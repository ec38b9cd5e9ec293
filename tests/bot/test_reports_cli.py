"""`kyr311 reports export` (Open311 GeoReport v2) and `kyr311 purge` over the reports database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.cli import main
from bot.reports import NewReport, ReportStore

SECRET = "c" * 40


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KYR_SECRET_KEY", SECRET)
    monkeypatch.setenv("KYR_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("KYR_DATABASE_URL", raising=False)
    return tmp_path


def _add(var: Path, department: str | None, when: datetime) -> str:
    store = ReportStore(f"sqlite:///{var / 'reports.db'}", SECRET)
    try:
        report = store.add(NewReport(kind="enforcement", what="agents at the pool", where="Echo Park pool",
                                     department=department, facility=None, occurred_at=when, contact="me@example.org"),
                           now=when)
        return report.code
    finally:
        store.close()


def test_export_gives_a_departments_reports_in_open311_form_without_contact(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(timezone.utc)
    parks = _add(env, "recreation_parks", now)
    _add(env, None, now)
    assert main(["reports", "export", "--department", "recreation_parks"]) == 0
    [request] = json.loads(capsys.readouterr().out)
    assert request["service_request_id"] == parks and request["status"] == "open"
    assert request["agency_responsible"] == "Department of Recreation and Parks (RAP)"
    assert "me@example.org" not in json.dumps(request)


def test_purge_removes_old_reports_that_have_nothing_left_to_deliver(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _add(env, None, datetime.now(timezone.utc) - timedelta(days=40))
    new = _add(env, None, datetime.now(timezone.utc))
    assert main(["purge", "--older-than", "30"]) == 0
    assert "1 delivered reports" in capsys.readouterr().out
    store = ReportStore(f"sqlite:///{env / 'reports.db'}", SECRET)
    assert store.get(old) is None and store.get(new) is not None
    store.close()
