"""The SMS gateway's own state: delivered messages, opt-outs, held messages, MORE pages.

Everything is keyed by keyed hashes (a MessageSid's, a phone number's conversation id),
never by the raw value. What must be kept to answer later (the resident's number and
message while Rasa is down; a reply to repeat to a Twilio retry; the rest of a long answer)
is encrypted with a key derived from the secret key (Fernet, from `cryptography`) and
deleted once used or once older than the retention period. A search of the database for a
phone number or a message finds nothing.

One SQLite file on the embedded default; the SQL is plain so that PostgreSQL can take it
over in scaled mode (issue 8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["Claim", "GatewayStore", "Held"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    message_key TEXT PRIMARY KEY,   -- keyed hash of Twilio's MessageSid
    state TEXT NOT NULL,            -- 'processing' or 'done'
    reply BLOB,                     -- encrypted TwiML sent back, repeated to a Twilio retry
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS opt_outs (
    conversation TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS held (
    message_key TEXT PRIMARY KEY,   -- a message still owed an answer (Rasa slow or down)
    payload BLOB NOT NULL,          -- encrypted: number to answer, our number, text, metadata
    state TEXT NOT NULL,            -- 'waiting', 'sending' or 'sent'
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS languages (
    conversation TEXT PRIMARY KEY,  -- the language of the last reply, for the gateway's own messages
    lang TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS more_pages (
    conversation TEXT PRIMARY KEY,
    pages BLOB NOT NULL,            -- encrypted: the rest of a long answer, for MORE
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a MessageSid: first delivery, or a retry and its reply."""

    first: bool
    reply: str | None = None


@dataclass(frozen=True)
class Held:
    """A message owed an answer, decrypted for the worker that answers it."""

    message_key: str
    payload: dict[str, Any]
    attempts: int


class GatewayStore:
    """Thread-safe access to the gateway's SQLite state."""

    def __init__(self, path: Path, secret: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync survives a crashed process (not a power cut) without an fsync a write.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._secret = secret.encode()
        key = hashlib.sha256(b"kyr311.gateway-store:" + self._secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def key(self, value: str) -> str:
        """A keyed hash of `value` (a MessageSid), for use as a row key."""
        return hmac.new(self._secret, b"sid:" + value.encode(), hashlib.sha256).hexdigest()[:32]

    def _seal(self, value: object) -> bytes:
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode())

    def _open(self, blob: bytes) -> Any:
        try:
            return json.loads(self._fernet.decrypt(blob))
        except InvalidToken:  # written under another secret key: unreadable, treat as gone
            return None

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    # Duplicates: a redelivered MessageSid gets the first delivery's reply.
    def claim(self, message_key: str) -> Claim:
        """Claim a delivery; a retry learns the reply if the first delivery has finished."""
        inserted = self._run(
            "INSERT OR IGNORE INTO deliveries (message_key, state, created) VALUES (?, 'processing', ?)", (message_key, time.time())
        ).rowcount
        if inserted:
            return Claim(first=True)
        return Claim(first=False, reply=self.reply_for(message_key))

    def reply_for(self, message_key: str) -> str | None:
        """The reply already given to this delivery, or None while it is still processing."""
        row = self._run("SELECT state, reply FROM deliveries WHERE message_key = ?", (message_key,)).fetchone()
        if not row or row[0] != "done" or row[1] is None:
            return None
        opened = self._open(row[1])
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
        self._run("UPDATE deliveries SET state = 'done', reply = ? WHERE message_key = ?", (self._seal(reply), message_key))

    # Opt-out: survives restarts.
    def opt_out(self, conversation: str) -> None:
        self._run("INSERT OR IGNORE INTO opt_outs (conversation, created) VALUES (?, ?)", (conversation, time.time()))

    def opt_in(self, conversation: str) -> bool:
        """Remove an opt-out; True when there was one."""
        return bool(self._run("DELETE FROM opt_outs WHERE conversation = ?", (conversation,)).rowcount)

    def opted_out(self, conversation: str) -> bool:
        return self._run("SELECT 1 FROM opt_outs WHERE conversation = ?", (conversation,)).fetchone() is not None

    # Held messages: answered later, exactly once.
    def hold(self, message_key: str, payload: dict[str, Any]) -> None:
        """Keep a message that is owed an answer (encrypted)."""
        self._run(
            "INSERT OR IGNORE INTO held (message_key, payload, state, created) VALUES (?, ?, 'waiting', ?)",
            (message_key, self._seal(payload), time.time()),
        )

    def take_held(self, message_key: str) -> bool:
        """Claim a held message for answering; False when someone else has it or it is answered."""
        return bool(self._run("UPDATE held SET state = 'sending', attempts = attempts + 1 WHERE message_key = ? AND state = 'waiting'",
                              (message_key,)).rowcount)

    def release_held(self, message_key: str) -> None:
        """Give a claimed held message back (the answer could not be had yet)."""
        self._run("UPDATE held SET state = 'waiting' WHERE message_key = ? AND state = 'sending'", (message_key,))

    def answered(self, message_key: str) -> None:
        """The held message was answered: forget its content."""
        self._run("DELETE FROM held WHERE message_key = ?", (message_key,))

    def waiting(self, min_age: float = 0.0, limit: int = 50) -> list[Held]:
        """Held messages waiting for an answer for at least `min_age` seconds, oldest first."""
        rows = self._run(
            "SELECT message_key, payload, attempts FROM held WHERE state = 'waiting' AND created <= ? ORDER BY created LIMIT ?",
            (time.time() - min_age, limit),
        )
        return [Held(key, payload, attempts) for key, blob, attempts in rows.fetchall() if (payload := self._open(blob)) is not None]

    def recover(self) -> int:
        """At start: messages a crashed process was answering go back to waiting."""
        return self._run("UPDATE held SET state = 'waiting' WHERE state = 'sending'").rowcount

    # The conversation's language, for the gateway's own messages (holding, help, errors).
    def set_lang(self, conversation: str, lang: str) -> None:
        self._run("INSERT OR REPLACE INTO languages (conversation, lang, created) VALUES (?, ?, ?)", (conversation, lang, time.time()))

    def lang(self, conversation: str) -> str | None:
        row = self._run("SELECT lang FROM languages WHERE conversation = ?", (conversation,)).fetchone()
        return str(row[0]) if row else None

    # MORE: the rest of a long answer.
    def save_pages(self, conversation: str, pages: list[str]) -> None:
        if not pages:
            self._run("DELETE FROM more_pages WHERE conversation = ?", (conversation,))
            return
        self._run("INSERT OR REPLACE INTO more_pages (conversation, pages, created) VALUES (?, ?, ?)",
                  (conversation, self._seal(pages), time.time()))

    def next_page(self, conversation: str) -> str | None:
        """The next page of the last long answer, removing it; None when there is none."""
        row = self._run("SELECT pages FROM more_pages WHERE conversation = ?", (conversation,)).fetchone()
        pages = self._open(row[0]) if row else None
        if not pages:
            return None
        self.save_pages(conversation, pages[1:])
        return str(pages[0])

    def forget(self, conversation: str) -> int:
        """Delete what is kept for one conversation (a resident asked to be forgotten); the
        opt-out stays, so that a resident who said STOP is not texted again."""
        removed = sum(self._run(f"DELETE FROM {table} WHERE conversation = ?", (conversation,)).rowcount
                      for table in ("languages", "more_pages"))
        for key, blob in self._run("SELECT message_key, payload FROM held").fetchall():
            payload = self._open(blob)
            if isinstance(payload, dict) and payload.get("conversation") == conversation:
                removed += self._run("DELETE FROM held WHERE message_key = ?", (key,)).rowcount
        return removed

    def purge(self, older_than_seconds: float, now: float | None = None) -> int:
        """Delete delivery records and MORE pages older than the cut-off.

        Opt-outs stay (a resident who said STOP must stay unsubscribed), and so do held
        messages (each is deleted as soon as it is answered).
        """
        cutoff = (time.time() if now is None else now) - older_than_seconds
        removed = 0
        for table in ("deliveries", "more_pages", "languages"):
            removed += self._run(f"DELETE FROM {table} WHERE created < ?", (cutoff,)).rowcount
        return removed

    def close(self) -> None:
        with self._lock:
            self._db.close()
