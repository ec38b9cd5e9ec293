"""Reports of immigration enforcement on City property: validated, encrypted, stored, with an outbox.

A report is stored first and only then delivered: `ReportStore.add` writes the report and
one outbox row per delivery sink in one transaction; `bot.delivery` works the outbox.
What the resident wrote (`what`, `where`, `details`, photo links, contact) is encrypted with
a key derived from the secret key (Fernet, as `bot.gateway_store` does); the structured fields
the liaison inbox filters on stay plain. There is no field for a name, an immigration status
or a country of birth. SQLAlchemy Core, so one code path serves SQLite and PostgreSQL.

>>> from datetime import datetime, timezone
>>> store = ReportStore("sqlite://", "s" * 32)
>>> r = store.add(NewReport("enforcement", "agents at the gate", "Lincoln Park", "recreation_parks", None,
...                         datetime.now(timezone.utc)), sinks=["email"])
>>> r.status, r.code[:4], store.get(r.code).where, [d.state for d in store.deliveries(r.code)]
('new', 'KYR-', 'Lincoln Park', ['pending'])
>>> store.close()
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from bot.database import open_engine
from bot.report_model import (
    _KEY,
    CHANNELS,
    KINDS,
    MAX_PHOTOS,
    STATUSES,
    Delivery,
    NewReport,
    OutboxItem,
    Report,
    ReportError,
    _aware,
    _db_time,
    _now,
    _utc,
    validate,
)

__all__ = ["CHANNELS", "KINDS", "MAX_PHOTOS", "STATUSES", "Delivery", "NewReport", "OutboxItem", "Report", "ReportError",
           "ReportStore", "validate"]

log = logging.getLogger(__name__)

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed on a phone

_meta = sa.MetaData()
reports = sa.Table(
    "reports", _meta,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("department", sa.String(64), index=True),
    sa.Column("facility", sa.String(64)),
    sa.Column("occurred_at", sa.DateTime, nullable=False),   # naive UTC, here and below
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("lang", sa.String(24), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("acknowledged_at", sa.DateTime),
    sa.Column("acknowledged_by", sa.String(200)),
    sa.Column("sealed", sa.Text, nullable=False),  # Fernet token of what, where, details, photo_urls, contact
)
outbox = sa.Table(
    "outbox", _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("report_code", sa.String(16), sa.ForeignKey("reports.code"), nullable=False, index=True),
    sa.Column("sink", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False, index=True),
    sa.Column("claimed_at", sa.DateTime),
    sa.Column("last_error", sa.String(300)),
    sa.Column("delivery_key", sa.String(64), nullable=False, unique=True),
    sa.UniqueConstraint("report_code", "sink"),
)


def _code(code: str) -> str:
    return code.strip().upper()  # a code read back over the phone may come in lower case



class ReportStore:
    """Reports and their delivery outbox in one SQL database (thread-safe; several processes may share it)."""

    def __init__(self, database_url: str, secret_key: str) -> None:
        self._engine = open_engine(database_url)
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._secret = secret_key.encode()
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kyr311.reports:" + self._secret).digest()))
        self._ready = False
        self._ready_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        """The database's dialect name: 'sqlite' or 'postgresql'."""
        return str(self._engine.dialect.name)

    def _conn(self, write: bool = False) -> Any:
        if not self._ready:
            with self._ready_lock:
                if not self._ready:  # tables are created on first use, so building a store never connects
                    _meta.create_all(self._engine)
                    self._ready = True
        return self._engine.begin() if write else self._engine.connect()

    def delivery_key(self, code: str, sink: str) -> str:
        """The idempotency key sent with every attempt to deliver `code` through `sink`."""
        return hmac.new(self._secret, f"delivery:{code}:{sink}".encode(), hashlib.sha256).hexdigest()[:40]

    def _seal(self, report: NewReport) -> str:
        body = {"what": report.what, "where": report.where, "details": report.details,
                "photo_urls": list(report.photo_urls), "contact": report.contact}
        return self._fernet.encrypt(json.dumps(body, ensure_ascii=False).encode()).decode()

    def _report(self, row: Any) -> Report | None:
        try:
            body = json.loads(self._fernet.decrypt(row.sealed.encode()))
        except InvalidToken:  # written under another secret key: unreadable
            log.warning("reports: %s cannot be decrypted with this secret key", row.code)
            return None
        return Report(row.code, row.kind, body["what"], body["where"], row.department, row.facility, _utc(row.occurred_at),
                      body["details"], tuple(body["photo_urls"]), body["contact"], row.lang, row.channel,
                      _utc(row.created_at), row.status, _aware(row.acknowledged_at), row.acknowledged_by)

    def add(self, report: NewReport, sinks: Sequence[str] = (), *, now: datetime | None = None) -> Report:
        """Validate and store a report with one pending outbox row per sink name, in one transaction."""
        clean = validate(report, now)
        names = list(dict.fromkeys(sinks))
        if any(not _KEY.fullmatch(name) for name in names):
            raise ReportError("sinks: each sink name must be a key of letters, digits, '_', '.' or '-'")
        created = _now(now)
        for _ in range(8):
            code = "KYR-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) + "-" + \
                   "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))
            try:
                with self._conn(write=True) as conn:
                    conn.execute(reports.insert().values(
                        code=code, kind=clean.kind, department=clean.department, facility=clean.facility,
                        occurred_at=_db_time(clean.occurred_at), created_at=created, lang=clean.lang, channel=clean.channel,
                        status="new", sealed=self._seal(clean)))
                    for name in names:
                        conn.execute(outbox.insert().values(report_code=code, sink=name, state="pending", attempts=0,
                                                            next_attempt_at=created, delivery_key=self.delivery_key(code, name)))
            except IntegrityError:  # the random code is taken (about one in 10^11): draw again
                continue
            log.info("reports: stored %s (%s, department %s, %d sinks)", code, clean.kind, clean.department or "general", len(names))
            stored = self.get(code)
            assert stored is not None
            return stored
        raise RuntimeError("could not draw an unused report code")

    def get(self, code: str) -> Report | None:
        with self._conn() as conn:
            row = conn.execute(select(reports).where(reports.c.code == _code(code))).first()
        return self._report(row) if row else None

    def _list(self, where: Any, limit: int) -> list[Report]:
        query = select(reports).where(where).order_by(reports.c.created_at.desc(), reports.c.code).limit(max(0, limit))
        with self._conn() as conn:
            rows = conn.execute(query).all()
        return [r for r in map(self._report, rows) if r is not None]

    def list_for(self, department: str, status: str | None = None, limit: int = 200) -> list[Report]:
        """One department's reports, newest first, optionally only those with `status`."""
        if status is not None and status not in STATUSES:
            raise ReportError(f"status: must be one of {', '.join(STATUSES)}")
        where = reports.c.department == department
        return self._list(where if status is None else where & (reports.c.status == status), limit)

    def general(self, limit: int = 200) -> list[Report]:
        """Reports with no department (for the general recipients), newest first."""
        return self._list(reports.c.department.is_(None), limit)

    def acknowledge(self, code: str, department: str, by: str, *, now: datetime | None = None) -> bool:
        """Acknowledge a report of `department` (once; repeating is harmless). False if it is not theirs."""
        if not by.strip() or len(by) > 200:
            raise ReportError("by: must name who acknowledges, in at most 200 characters")
        mine = (reports.c.code == _code(code)) & (reports.c.department == department)
        with self._conn(write=True) as conn:
            changed = conn.execute(update(reports).where(mine & (reports.c.status == "new"))
                                   .values(status="acknowledged", acknowledged_at=_now(now), acknowledged_by=by.strip())).rowcount
        if changed:
            log.info("reports: %s acknowledged by department %s", code, department)
            return True
        with self._conn() as conn:
            return conn.execute(select(reports.c.code).where(mine)).first() is not None

    def forget(self, code: str) -> bool:
        """Delete a report and its outbox rows, whatever their state; True if it existed."""
        with self._conn(write=True) as conn:
            conn.execute(delete(outbox).where(outbox.c.report_code == _code(code)))
            return bool(conn.execute(delete(reports).where(reports.c.code == _code(code))).rowcount)

    def forget_contact(self, phone: str) -> list[str]:
        """Delete every report whose contact holds this phone number; return their codes."""
        digits = re.sub(r"\D", "", phone)[-10:]
        with self._conn() as conn:
            rows = conn.execute(select(reports).where(reports.c.sealed.isnot(None))).all()
        mine = [r.code for r in map(self._report, rows)
                if r is not None and r.contact and len(digits) >= 7 and digits in re.sub(r"\D", "", r.contact)]
        for code in mine:
            self.forget(code)
        return mine

    def purge_delivered(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete reports older than N days whose deliveries are all done; return how many.

        A report with a pending, sending or failed delivery is kept whatever its age.
        """
        cutoff = _now(now) - timedelta(days=older_than_days)
        other = outbox.alias("other")
        undone = exists().where(other.c.report_code == reports.c.code, other.c.state != "done")
        old_done = select(reports.c.code).where(reports.c.created_at < cutoff, ~undone)
        with self._conn(write=True) as conn:
            conn.execute(delete(outbox).where(outbox.c.report_code.in_(old_done)))
            removed = conn.execute(delete(reports).where(reports.c.created_at < cutoff,
                                                         ~exists().where(outbox.c.report_code == reports.c.code))).rowcount
        if removed:
            log.info("reports: purged %d delivered reports older than %d days", removed, older_than_days)
        return int(removed)

    # The outbox, worked by bot.delivery.Deliverer.
    def deliveries(self, code: str) -> list[Delivery]:
        """The delivery state of one report, one entry per sink."""
        with self._conn() as conn:
            rows = conn.execute(select(outbox).where(outbox.c.report_code == _code(code)).order_by(outbox.c.sink)).all()
        return [Delivery(r.sink, r.state, r.attempts, _utc(r.next_attempt_at), r.last_error, r.delivery_key)
                for r in rows]

    def claim_due(self, sinks: Sequence[str], now: datetime | None = None, limit: int = 50) -> list[OutboxItem]:
        """Claim pending deliveries through `sinks` that are due; each row goes to one claimer only."""
        at = _now(now)
        query = (select(outbox.c.id, outbox.c.report_code, outbox.c.sink, outbox.c.attempts, outbox.c.delivery_key)
                 .where(outbox.c.state == "pending", outbox.c.next_attempt_at <= at, outbox.c.sink.in_(list(sinks)))
                 .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit))
        with self._conn() as conn:
            candidates = conn.execute(query).all()
        claimed = []
        for row in candidates:
            with self._conn(write=True) as conn:  # the guarded UPDATE is the claim: only one claimer sees rowcount 1
                won = conn.execute(update(outbox).where(outbox.c.id == row.id, outbox.c.state == "pending",
                                                        outbox.c.attempts == row.attempts)
                                   .values(state="sending", attempts=row.attempts + 1, claimed_at=at)).rowcount
            if won:
                claimed.append(OutboxItem(row.id, row.report_code, row.sink, row.attempts + 1, row.delivery_key))
        return claimed

    def settle(self, item_id: int, state: str, *, next_attempt_at: datetime | None = None, error: str | None = None) -> None:
        """End a claim: `done`, `pending` again at `next_attempt_at` (a retry), or `failed` (kept for a person to see)."""
        if state not in ("done", "pending", "failed"):
            raise ValueError(f"state: must be done, pending or failed, not {state!r}")
        values: dict[str, Any] = {"state": state, "last_error": None if error is None else error[:300]}
        if next_attempt_at is not None:
            values["next_attempt_at"] = _db_time(next_attempt_at)
        with self._conn(write=True) as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id, outbox.c.state == "sending").values(**values))

    def release_stale(self, claimed_before: datetime) -> int:
        """Deliveries claimed before the cut-off by a deliverer that died go back to pending."""
        with self._conn(write=True) as conn:
            return int(conn.execute(update(outbox).where(outbox.c.state == "sending", outbox.c.claimed_at < _db_time(claimed_before))
                                    .values(state="pending")).rowcount)

    def close(self) -> None:
        self._engine.dispose()

