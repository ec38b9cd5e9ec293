"""The tables of the SMS gateway's own state (`bot.gateway_store`), for SQLite and PostgreSQL, and the records it hands back.

Rows are keyed by keyed hashes (a MessageSid's, a phone number's conversation id), never by
the raw value; every column that holds what a resident wrote or their number is a Fernet
token. `created` is seconds since the epoch (wall clock, comparable across processes).
The columns match the tables the SQLite-only store created before, so an existing file
keeps working.

>>> sorted(metadata.tables)
['deliveries', 'held', 'languages', 'more_pages', 'offers', 'opt_outs']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

__all__ = ["Claim", "Held", "deliveries", "held", "languages", "metadata", "more_pages", "offers", "opt_outs"]


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


_KEY = 64  # the keyed hashes are 32 hex characters; room to spare

metadata = sa.MetaData()

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("message_key", sa.String(_KEY), primary_key=True),  # keyed hash of Twilio's MessageSid
    sa.Column("state", sa.String(16), nullable=False),             # 'processing' or 'done'
    sa.Column("reply", sa.LargeBinary),                            # sealed TwiML sent back, repeated to a Twilio retry
    sa.Column("created", sa.Float, nullable=False, index=True),
)
opt_outs = sa.Table(
    "opt_outs", metadata,
    sa.Column("conversation", sa.String(_KEY), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
)
held = sa.Table(
    "held", metadata,
    sa.Column("message_key", sa.String(_KEY), primary_key=True),   # a message still owed an answer (Rasa slow or down)
    sa.Column("payload", sa.LargeBinary, nullable=False),          # sealed: number to answer, our number, text, metadata
    sa.Column("state", sa.String(16), nullable=False),             # 'waiting', 'sending' or 'sent'
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created", sa.Float, nullable=False, index=True),
)
languages = sa.Table(
    "languages", metadata,
    sa.Column("conversation", sa.String(_KEY), primary_key=True),  # the language of the last reply, for the gateway's own messages
    sa.Column("lang", sa.String(24), nullable=False),
    sa.Column("created", sa.Float, nullable=False, index=True),
)
more_pages = sa.Table(
    "more_pages", metadata,
    sa.Column("conversation", sa.String(_KEY), primary_key=True),
    sa.Column("pages", sa.LargeBinary, nullable=False),            # sealed: the rest of a long answer, for MORE
    sa.Column("created", sa.Float, nullable=False, index=True),
)
offers = sa.Table(
    "offers", metadata,
    sa.Column("conversation", sa.String(_KEY), primary_key=True),
    sa.Column("payloads", sa.LargeBinary, nullable=False),         # sealed: the buttons last offered, picked by number
    sa.Column("created", sa.Float, nullable=False, index=True),
)
