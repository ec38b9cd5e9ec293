"""Keyed hashing of senders, so that no phone number or raw id ever reaches Rasa or a log.

>>> a = conversation_id("k" * 32, "sms", "+12135550100")
>>> a == conversation_id("k" * 32, "sms", "+1 (213) 555-0100"), len(a), "555" in a
(True, 32, False)
>>> a != conversation_id("k" * 32, "web", "+12135550100")
True
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["conversation_id"]

_PHONE_NOISE = re.compile(r"[\s().-]")


def conversation_id(secret: str, channel: str, sender: str) -> str:
    """A stable, keyed, irreversible id for one sender on one channel."""
    canonical = _PHONE_NOISE.sub("", sender) if channel == "sms" else sender
    digest = hmac.new(secret.encode(), f"{channel}:{canonical}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
