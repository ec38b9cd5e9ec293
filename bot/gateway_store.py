"""The SMS gateway's own state: delivered messages, opt-outs, held messages, MORE pages, offers.

Everything is keyed by keyed hashes (a MessageSid's, a phone number's conversation id),
never by the raw value. What must be kept to answer later (the resident's number and
message while Rasa is down; a reply to repeat to a Twilio retry; the rest of a long answer;
the buttons last offered) is encrypted with a key derived from the secret key (Fernet, from
`cryptography`) and deleted once used or once older than the retention period. A search of
the database for a phone number or a message finds nothing.

SQLAlchemy Core on the tables of `bot.gateway_model`: one SQLite file on the embedded
default, PostgreSQL shared by several gateway processes in scaled mode. Each step that must
have one winner across processes is one statement or one transaction: a claim is an INSERT
that does nothing on conflict, taking a held message a guarded UPDATE.

>>> store = GatewayStore("sqlite://", "s" * 32)
>>> key = store.key("SM123")
>>> store.claim(key).first, store.claim(key).first
(True, False)
>>> store.save_pages("conv", ["two", "three"])
>>> store.next_page("conv"), store.next_page("conv"), store.next_page("conv")
('two', 'three', None)
>>> store.close()
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError

from bot.database import open_engine
from bot.gateway_model import Claim, Held, deliveries, held, languages, metadata, more_pages, offers, opt_outs

__all__ = ["Claim", "GatewayStore", "Held"]

_IMMEDIATE = "kyr311_immediate"  # execution option: on SQLite, take the write lock when the transaction begins


class GatewayStore:
    """Thread-safe access to the gateway's state; several processes may share one database."""

    def __init__(self, url: str, secret: str) -> None:
        self._engine = open_engine(url, keep_open=True)  # the gateway uses the store several times a message
        self._sqlite = self._engine.dialect.name == "sqlite"
        if self._sqlite:
            sa.event.listen(self._engine, "connect", _sqlite_connect)
            sa.event.listen(self._engine, "begin", _sqlite_begin)
        self._writer = self._engine.execution_options(**{_IMMEDIATE: True})
        self._insert = sqlite.insert if self._sqlite else postgresql.insert
        self._secret = secret.encode()
        key = hashlib.sha256(b"kyr311.gateway-store:" + self._secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._ready = False
        self._ready_lock = threading.Lock()

    def key(self, value: str) -> str:
        """A keyed hash of `value` (a MessageSid), for use as a row key."""
        return hmac.new(self._secret, b"sid:" + value.encode(), hashlib.sha256).hexdigest()[:32]

    def _seal(self, value: object) -> bytes:
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode())

    def _open(self, blob: bytes | memoryview | None) -> Any:
        if blob is None:
            return None
        try:
            return json.loads(self._fernet.decrypt(bytes(blob)))
        except InvalidToken:  # written under another secret key: unreadable, treat as gone
            return None

    def _create_tables(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self._create_all()
            except DatabaseError:  # another gateway process created them at the same moment
                self._create_all()
            self._ready = True

    def _create_all(self) -> None:
        with self._writer.begin() as conn:  # on SQLite under the write lock: checking, then creating, is one step
            metadata.create_all(conn)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        self._create_tables()
        with self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        self._create_tables()
        with self._writer.begin() as conn:
            yield conn

    def _run(self, statement: Any) -> int:
        """Execute one writing statement in its own transaction; the number of rows it touched."""
        with self._write() as conn:
            return int(conn.execute(statement).rowcount)

    def _upsert(self, table: sa.Table, key: str, **values: Any) -> None:
        statement = self._insert(table).values(conversation=key, **values)
        self._run(statement.on_conflict_do_update(index_elements=[table.c.conversation], set_=values))

    # Duplicates: a redelivered MessageSid gets the first delivery's reply.
    def claim(self, message_key: str) -> Claim:
        """Claim a delivery; a retry learns the reply if the first delivery has finished."""
        statement = self._insert(deliveries).values(message_key=message_key, state="processing", created=time.time())
        if self._run(statement.on_conflict_do_nothing(index_elements=[deliveries.c.message_key])):
            return Claim(first=True)
        return Claim(first=False, reply=self.reply_for(message_key))

    def reply_for(self, message_key: str) -> str | None:
        """The reply already given to this delivery, or None while it is still processing."""
        with self._read() as conn:
            row = conn.execute(select(deliveries.c.state, deliveries.c.reply).where(deliveries.c.message_key == message_key)).first()
        if not row or row.state != "done":
            return None
        opened = self._open(row.reply)
        return opened if isinstance(opened, str) else None

    def wait_reply(self, message_key: str, timeout: float, poll: float = 0.05) -> str | None:
        """Wait for the first delivery of a duplicate to finish; its reply, or None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.reply_for(message_key)
            if reply is not None:
                return reply
            time.sleep(poll)
        return None

    def finish(self, message_key: str, reply: str) -> None:
        """Record the reply given to a delivery."""
        self._run(update(deliveries).where(deliveries.c.message_key == message_key).values(state="done", reply=self._seal(reply)))

    # Opt-out: survives restarts.
    def opt_out(self, conversation: str) -> None:
        statement = self._insert(opt_outs).values(conversation=conversation, created=time.time())
        self._run(statement.on_conflict_do_nothing(index_elements=[opt_outs.c.conversation]))

    def opt_in(self, conversation: str) -> bool:
        """Remove an opt-out; True when there was one."""
        return bool(self._run(delete(opt_outs).where(opt_outs.c.conversation == conversation)))

    def opted_out(self, conversation: str) -> bool:
        with self._read() as conn:
            return conn.execute(select(opt_outs.c.conversation).where(opt_outs.c.conversation == conversation)).first() is not None

    # Held messages: answered later, exactly once.
    def hold(self, message_key: str, payload: dict[str, Any]) -> None:
        """Keep a message that is owed an answer (encrypted)."""
        statement = self._insert(held).values(message_key=message_key, payload=self._seal(payload), state="waiting", attempts=0,
                                              created=time.time())
        self._run(statement.on_conflict_do_nothing(index_elements=[held.c.message_key]))

    def take_held(self, message_key: str) -> bool:
        """Claim a held message for answering; False when someone else has it or it is answered."""
        return bool(self._run(update(held).where(held.c.message_key == message_key, held.c.state == "waiting")
                              .values(state="sending", attempts=held.c.attempts + 1)))

    def release_held(self, message_key: str) -> None:
        """Give a claimed held message back (the answer could not be had yet)."""
        self._run(update(held).where(held.c.message_key == message_key, held.c.state == "sending").values(state="waiting"))

    def answered(self, message_key: str) -> None:
        """The held message was answered: forget its content."""
        self._run(delete(held).where(held.c.message_key == message_key))

    def waiting(self, min_age: float = 0.0, limit: int = 50) -> list[Held]:
        """Held messages waiting for an answer for at least `min_age` seconds, oldest first."""
        query = (select(held.c.message_key, held.c.payload, held.c.attempts)
                 .where(held.c.state == "waiting", held.c.created <= time.time() - min_age)
                 .order_by(held.c.created).limit(limit))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [Held(row.message_key, payload, row.attempts) for row in rows if (payload := self._open(row.payload)) is not None]

    def recover(self) -> int:
        """At start: messages a crashed process was answering go back to waiting."""
        return self._run(update(held).where(held.c.state == "sending").values(state="waiting"))

    # The conversation's language, for the gateway's own messages (holding, help, errors).
    def set_lang(self, conversation: str, lang: str) -> None:
        self._upsert(languages, conversation, lang=lang, created=time.time())

    def lang(self, conversation: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(select(languages.c.lang).where(languages.c.conversation == conversation)).first()
        return str(row.lang) if row else None

    # MORE: the rest of a long answer.
    def save_pages(self, conversation: str, pages: list[str]) -> None:
        if not pages:
            self._run(delete(more_pages).where(more_pages.c.conversation == conversation))
            return
        self._upsert(more_pages, conversation, pages=self._seal(pages), created=time.time())

    def next_page(self, conversation: str) -> str | None:
        """The next page of the last long answer, removing it; None when there is none.

        One transaction that locks the row (FOR UPDATE on PostgreSQL, the write lock on
        SQLite), so two gateways answering two MOREs at once send two different pages.
        """
        mine = more_pages.c.conversation == conversation
        with self._write() as conn:
            row = conn.execute(select(more_pages.c.pages).where(mine).with_for_update()).first()
            pages = self._open(row.pages) if row else None
            if not pages:
                return None
            if len(pages) > 1:
                conn.execute(update(more_pages).where(mine).values(pages=self._seal(pages[1:]), created=time.time()))
            else:
                conn.execute(delete(more_pages).where(mine))
        return str(pages[0])

    # The buttons last offered, picked by a numeric reply (bot.choices.Offers), shared by every gateway.
    def remember_offer(self, conversation: str, payloads: list[str]) -> None:
        """Record the buttons just offered in `conversation`, replacing the last offer."""
        self._upsert(offers, conversation, payloads=self._seal(list(payloads)), created=time.time())

    def offer(self, conversation: str, max_age_seconds: float) -> tuple[str, ...] | None:
        """The buttons last offered in `conversation`, unless older than `max_age_seconds`."""
        query = select(offers.c.payloads).where(offers.c.conversation == conversation,
                                                offers.c.created >= time.time() - max_age_seconds)
        with self._read() as conn:
            row = conn.execute(query).first()
        payloads = self._open(row.payloads) if row else None
        return tuple(str(p) for p in payloads) if isinstance(payloads, list) else None

    def forget_offer(self, conversation: str) -> None:
        """Drop what was offered in `conversation`."""
        self._run(delete(offers).where(offers.c.conversation == conversation))

    def forget(self, conversation: str) -> int:
        """Delete what is kept for one conversation (a resident asked to be forgotten); the
        opt-out stays, so that a resident who said STOP is not texted again."""
        removed = sum(self._run(delete(table).where(table.c.conversation == conversation)) for table in (languages, more_pages, offers))
        with self._read() as conn:
            rows = conn.execute(select(held.c.message_key, held.c.payload)).all()
        for row in rows:
            payload = self._open(row.payload)
            if isinstance(payload, dict) and payload.get("conversation") == conversation:
                removed += self._run(delete(held).where(held.c.message_key == row.message_key))
        return removed

    def purge(self, older_than_seconds: float, now: float | None = None) -> int:
        """Delete delivery records, MORE pages, languages and offers older than the cut-off.

        Opt-outs stay (a resident who said STOP must stay unsubscribed), and so do held
        messages (each is deleted as soon as it is answered).
        """
        cutoff = (time.time() if now is None else now) - older_than_seconds
        return sum(self._run(delete(table).where(table.c.created < cutoff)) for table in (deliveries, more_pages, languages, offers))

    def close(self) -> None:
        self._engine.dispose()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe: the driver must not open transactions itself (it would not before a
    # SELECT), so that `_sqlite_begin` decides when and how each one begins.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock up front: a read-then-write transaction (next_page) that
    # began deferred could not wait for another writer and would fail with "database is locked".
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")
