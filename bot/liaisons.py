"""Accounts of the departments' Immigrant Affairs Liaisons, who read reports at `/liaison`.

Each account belongs to one department and sees only that department's reports. Passwords
are hashed with scrypt (werkzeug); five failed sign-ins lock an account for 15 minutes.
A sign-in opens a server-side session: the browser holds a random token, the database
only its SHA-256, so signing out (or disabling the account, or a new password) ends it
for good, even for a copied cookie. SQLAlchemy Core, on the same database as the reports
(SQLite on the embedded default, PostgreSQL past one machine).

>>> store = LiaisonStore("sqlite://")
>>> store.add(" Ana.Parks ", "recreation_parks", "correct horse battery")
Liaison(username='ana.parks', department='recreation_parks')
>>> store.verify("ANA.PARKS", "correct horse battery")
Liaison(username='ana.parks', department='recreation_parks')
>>> store.verify("ana.parks", "wrong password!") is None
True
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from bot.database import open_engine

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "MIN_PASSWORD_LENGTH",
    "SESSION_LIFETIME",
    "Account",
    "AccountError",
    "Liaison",
    "LiaisonStore",
    "department_names",
]

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
_DEPARTMENT = re.compile(r"[a-z][a-z0-9_]{1,63}")

_metadata = MetaData()
_liaisons = Table(
    "liaisons", _metadata,
    Column("username", String(64), primary_key=True),  # case-folded
    Column("department", String(64), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),  # UTC, naive in the database
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime, nullable=True),
)
_sessions = Table(
    "liaison_sessions", _metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("expires_at", DateTime, nullable=False),
)


class AccountError(ValueError):
    """An account cannot be created or changed; the message says why and what to do."""


@dataclass(frozen=True)
class Liaison:
    """A signed-in liaison: who, and which department's reports they may see."""

    username: str
    department: str


@dataclass(frozen=True)
class Account:
    """An account as `kyr311 liaison list` shows it."""

    username: str
    department: str
    created_at: datetime
    disabled: bool
    locked: bool


def department_names(directory_dir: Path) -> dict[str, str] | None:
    """Department key -> name from `departments.yml`; None when there is no such file.

    Takes a list of entries, or a mapping with a `departments` list (entries have `key`, `name`).
    """
    path = directory_dir / "departments.yml"
    if not path.exists():
        return None
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    entries = data.get("departments", []) if isinstance(data, dict) else data
    names: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            names[entry["key"]] = str(entry.get("name") or entry["key"])
    return names


def normalize_username(username: str) -> str:
    """The stored form of a username: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LiaisonStore:
    """Liaison accounts and their sign-in sessions.

    `now` and `hash_method` (a werkzeug method, e.g. a cheaper "scrypt:1024:8:1") are for tests.
    """

    def __init__(self, database_url: str, *, now: Callable[[], datetime] = _utcnow,
                 session_lifetime: timedelta = SESSION_LIFETIME, hash_method: str = "scrypt") -> None:
        self._engine = open_engine(database_url)
        self._hash_method = hash_method
        self._now = now
        self.session_lifetime = session_lifetime
        self._ready = False
        self._ready_lock = threading.Lock()
        self._dummy_hash = ""

    def _db(self, write: bool = False) -> Any:
        if not self._ready:
            with self._ready_lock:
                if not self._ready:  # on first use, so that building a store never connects
                    _metadata.create_all(self._engine)
                    # Checked against when a username is unknown, so that a miss costs as long as a hit.
                    self._dummy_hash = generate_password_hash(secrets.token_urlsafe(16), method=self._hash_method)
                    self._ready = True
        return self._engine.begin() if write else self._engine.connect()

    def add(self, username: str, department: str, password: str) -> Liaison:
        """Create an account; AccountError on a bad or taken username, department or password."""
        name = normalize_username(username)
        if not _USERNAME.fullmatch(name):
            raise AccountError("A username is 3-64 characters: letters a-z, digits, '.', '_', '-' or '@'.")
        if not _DEPARTMENT.fullmatch(department):
            raise AccountError(f"{department!r} is not a department key (for example recreation_parks).")
        row = {"username": name, "department": department, "password_hash": self._hash(password),
               "created_at": _naive(self._now()), "disabled": False, "failed_attempts": 0, "locked_until": None}
        try:
            with self._db(write=True) as db:
                db.execute(_liaisons.insert().values(**row))
        except IntegrityError:
            raise AccountError(f"The username {name!r} is taken: choose another.") from None
        log.info("liaison account created: %s (%s)", name, department)
        return Liaison(name, department)

    def verify(self, username: str, password: str) -> Liaison | None:
        """The liaison for a correct username and password; None otherwise, or when locked or disabled."""
        name = normalize_username(username)
        now = _naive(self._now())
        with self._db(write=True) as db:
            row = db.execute(select(_liaisons).where(_liaisons.c.username == name)).first()
            if row is None:
                check_password_hash(self._dummy_hash, password)
                return None
            correct = check_password_hash(row.password_hash, password)
            if row.disabled or (row.locked_until is not None and row.locked_until > now):
                return None
            if not correct:
                self._failed(db, name, now)
                return None
            db.execute(_liaisons.update().where(_liaisons.c.username == name).values(failed_attempts=0, locked_until=None))
        return Liaison(name, row.department)

    def _failed(self, db: Any, name: str, now: datetime) -> None:
        where = _liaisons.c.username == name
        db.execute(_liaisons.update().where(where).values(failed_attempts=_liaisons.c.failed_attempts + 1))
        locked = db.execute(_liaisons.update().where(where, _liaisons.c.failed_attempts >= MAX_FAILURES)
                            .values(failed_attempts=0, locked_until=now + LOCKOUT)).rowcount
        if locked:
            log.warning("liaison account %s locked for %d minutes after %d failed sign-ins",
                        name, LOCKOUT.seconds // 60, MAX_FAILURES)

    def set_password(self, username: str, password: str) -> None:
        """Set a new password, unlock the account and end its sessions."""
        name = normalize_username(username)
        values = {"password_hash": self._hash(password), "failed_attempts": 0, "locked_until": None}
        with self._db(write=True) as db:
            if not db.execute(_liaisons.update().where(_liaisons.c.username == name).values(**values)).rowcount:
                raise AccountError(f"There is no account {name!r}.")
            db.execute(_sessions.delete().where(_sessions.c.username == name))

    def disable(self, username: str) -> bool:
        """Disable an account and end its sessions; False when there is no such account."""
        name = normalize_username(username)
        with self._db(write=True) as db:
            changed = db.execute(_liaisons.update().where(_liaisons.c.username == name).values(disabled=True)).rowcount
            db.execute(_sessions.delete().where(_sessions.c.username == name))
        return bool(changed)

    def accounts(self) -> list[Account]:
        """Every account, by department then username."""
        now = _naive(self._now())
        with self._db() as db:
            rows = db.execute(select(_liaisons).order_by(_liaisons.c.department, _liaisons.c.username)).all()
        return [Account(r.username, r.department, r.created_at.replace(tzinfo=timezone.utc), bool(r.disabled),
                        r.locked_until is not None and r.locked_until > now) for r in rows]

    def open_session(self, liaison: Liaison) -> str:
        """Start a session for a verified liaison; returns the token for the browser."""
        token = secrets.token_urlsafe(32)
        now = _naive(self._now())
        with self._db(write=True) as db:
            db.execute(_sessions.delete().where(_sessions.c.expires_at <= now))
            db.execute(_sessions.insert().values(token_hash=_token_hash(token), username=liaison.username,
                                                 expires_at=now + self.session_lifetime))
        return token

    def session(self, token: str) -> Liaison | None:
        """The liaison of a live session token; None when unknown, expired, ended or disabled."""
        query = (select(_liaisons.c.username, _liaisons.c.department)
                 .join(_sessions, _sessions.c.username == _liaisons.c.username)
                 .where(_sessions.c.token_hash == _token_hash(token), _sessions.c.expires_at > _naive(self._now()),
                        _liaisons.c.disabled.is_(False)))
        with self._db() as db:
            row = db.execute(query).first()
        return Liaison(row.username, row.department) if row else None

    def close_session(self, token: str) -> None:
        """End a session (sign-out): its token never works again."""
        with self._db(write=True) as db:
            db.execute(_sessions.delete().where(_sessions.c.token_hash == _token_hash(token)))

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise AccountError(f"A password may have at most {MAX_PASSWORD_LENGTH} characters.")
        return generate_password_hash(password, method=self._hash_method)
