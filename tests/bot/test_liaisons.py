"""Liaison accounts: hashing, lockout, disabling, server-side sessions, department names."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot import liaisons
from bot.liaisons import LOCKOUT, MAX_FAILURES, AccountError, Liaison, LiaisonStore, department_names
from bot.settings import Settings

PASSWORD = "correct horse battery staple"
FAST = "scrypt:1024:8:1"  # scrypt at a test cost; the default cost is checked once below


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 17, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "reports.db"


@pytest.fixture
def store(db_path: Path, clock: Clock) -> Iterator[LiaisonStore]:
    store = LiaisonStore(f"sqlite:///{db_path}", now=clock, hash_method=FAST)
    store.add("Ana.Parks", "recreation_parks", PASSWORD)
    yield store
    store.close()


def test_username_is_case_folded_and_verified_with_the_password(store: LiaisonStore) -> None:
    assert store.verify("  ANA.parks ", PASSWORD) == Liaison("ana.parks", "recreation_parks")
    assert store.verify("ana.parks", PASSWORD + "x") is None
    assert store.verify("nobody", PASSWORD) is None


def test_password_is_stored_only_as_an_scrypt_hash(tmp_path: Path) -> None:
    db_path = tmp_path / "accounts.db"
    store = LiaisonStore(f"sqlite:///{db_path}")
    store.add("bo.library", "library", PASSWORD)
    store.close()
    with closing(sqlite3.connect(db_path)) as db:
        [(stored,)] = db.execute("SELECT password_hash FROM liaisons").fetchall()
    assert stored.startswith("scrypt:32768:8:1$") and PASSWORD not in stored
    assert PASSWORD.encode() not in db_path.read_bytes()


def test_unknown_username_still_checks_a_hash(store: LiaisonStore, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = liaisons.check_password_hash
    monkeypatch.setattr(liaisons, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    assert store.verify("nobody-here", PASSWORD) is None
    assert len(checked) == 1 and checked[0].startswith(FAST)


@pytest.mark.parametrize(
    ("username", "department", "password", "reason"),
    [
        ("bo.library", "library", "short pass", "at least 12"),
        ("ANA.PARKS", "library", PASSWORD, "taken"),
        ("x", "library", PASSWORD, "3-64 characters"),
        ("bad name!", "library", PASSWORD, "3-64 characters"),
        ("bo.library", "Library Dept", PASSWORD, "department key"),
    ],
)
def test_bad_accounts_are_refused(store: LiaisonStore, username: str, department: str, password: str, reason: str) -> None:
    with pytest.raises(AccountError, match=reason):
        store.add(username, department, password)
    assert [a.username for a in store.accounts()] == ["ana.parks"]


def test_five_failures_lock_the_account_for_fifteen_minutes(store: LiaisonStore, clock: Clock) -> None:
    for _ in range(MAX_FAILURES):
        assert store.verify("ana.parks", "not the password") is None
    assert store.verify("ana.parks", PASSWORD) is None
    assert store.accounts()[0].locked
    clock.now += LOCKOUT - timedelta(seconds=1)
    assert store.verify("ana.parks", PASSWORD) is None
    clock.now += timedelta(seconds=2)
    assert store.verify("ana.parks", PASSWORD) == Liaison("ana.parks", "recreation_parks")


def test_a_success_resets_the_failure_count(store: LiaisonStore) -> None:
    for _ in range(MAX_FAILURES - 1):
        store.verify("ana.parks", "not the password")
    assert store.verify("ana.parks", PASSWORD) is not None
    for _ in range(MAX_FAILURES - 1):
        store.verify("ana.parks", "not the password")
    assert store.verify("ana.parks", PASSWORD) is not None


def test_session_lives_until_closed_or_expired(store: LiaisonStore, clock: Clock, db_path: Path) -> None:
    ana = Liaison("ana.parks", "recreation_parks")
    token = store.open_session(ana)
    assert store.session(token) == ana
    assert token.encode() not in db_path.read_bytes()
    store.close_session(token)
    assert store.session(token) is None
    later = store.open_session(ana)
    clock.now += store.session_lifetime + timedelta(seconds=1)
    assert store.session(later) is None
    assert store.session("made-up-token") is None


def test_disable_refuses_sign_in_and_ends_sessions(store: LiaisonStore) -> None:
    token = store.open_session(Liaison("ana.parks", "recreation_parks"))
    assert store.disable("ANA.PARKS") and not store.disable("nobody")
    assert store.session(token) is None
    assert store.verify("ana.parks", PASSWORD) is None
    assert store.accounts()[0].disabled


def test_new_password_replaces_the_old_unlocks_and_ends_sessions(store: LiaisonStore) -> None:
    token = store.open_session(Liaison("ana.parks", "recreation_parks"))
    for _ in range(MAX_FAILURES):
        store.verify("ana.parks", "not the password")
    store.set_password("ana.parks", "a brand new passphrase")
    assert store.session(token) is None
    assert store.verify("ana.parks", PASSWORD) is None
    assert store.verify("ana.parks", "a brand new passphrase") is not None
    with pytest.raises(AccountError, match="no account"):
        store.set_password("nobody", "a brand new passphrase")


def test_department_names_read_both_shapes_of_departments_yml(tmp_path: Path) -> None:
    assert department_names(tmp_path) is None
    (tmp_path / "departments.yml").write_text(
        "departments:\n  - key: library\n    name: Los Angeles Public Library\n  - key: zoo\nnot_city: []\n", encoding="utf-8")
    assert department_names(tmp_path) == {"library": "Los Angeles Public Library", "zoo": "zoo"}
    (tmp_path / "departments.yml").write_text("- key: harbor\n  name: Port of Los Angeles\n", encoding="utf-8")
    assert department_names(tmp_path) == {"harbor": "Port of Los Angeles"}


def test_accounts_live_in_the_reports_database_sqlite_in_var_by_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_VAR_DIR": str(tmp_path)})
    assert settings.reports_url == f"sqlite:///{tmp_path}/reports.db"
    pg = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_DATABASE_URL": "postgresql://u@db/kyr"})
    assert pg.reports_url == "postgresql://u@db/kyr"
