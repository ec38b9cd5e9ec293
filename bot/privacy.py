"""Keyed hashing of senders, so that no phone number or raw id ever reaches Rasa or a log.

>>> a = conversation_id("k" * 32, "sms", "+12135550100")
>>> a == conversation_id("k" * 32, "sms", "+1 (213) 555-0100"), len(a), "555" in a
(True, 32, False)
>>> a != conversation_id("k" * 32, "web", "+12135550100")
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["conversation_id", "seal", "unseal"]

_PHONE_NOISE = re.compile(r"[\s().-]")


def conversation_id(secret: str, channel: str, sender: str) -> str:
    """A stable, keyed, irreversible id for one sender on one channel."""
    canonical = _PHONE_NOISE.sub("", sender) if channel == "sms" else sender
    digest = hmac.new(secret.encode(), f"{channel}:{canonical}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kyr311.sealed:" + secret.encode()).digest()))


def seal(secret: str, values: list[str]) -> str:
    """Encrypt `values` (phone numbers a resident typed) for a trip through Rasa's tracker.

    >>> token = seal("k" * 32, ["213-555-0100"])
    >>> "555" in token, unseal("k" * 32, token), unseal("x" * 32, token)
    (False, ['213-555-0100'], None)
    """
    return _fernet(secret).encrypt(json.dumps(values).encode()).decode()


def unseal(secret: str, token: str) -> list[str] | None:
    """The values `seal` encrypted; None when the token is forged or from another key."""
    try:
        values = json.loads(_fernet(secret).decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None
    return [str(v) for v in values] if isinstance(values, list) else None
