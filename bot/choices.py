"""Replies that pick from what was offered: a number for a button, a keyword for a menu.

On SMS, and for anyone who prefers typing, the buttons of the last message are numbered:
a reply of just that number means that button. The language menu is reachable at any time
by its keyword in any language ("language", "idioma", "語言", "언어", ...): the words of
each locale's `menu.change_language` label, so editors and translators control them.

>>> offers = Offers()
>>> offers.remember("c1", ["/change_language{\\"language\\": \\"en\\"}", "/change_language{\\"language\\": \\"es\\"}"])
>>> offers.pick("c1", " 2 "), offers.pick("c1", "٢"), offers.pick("c1", "3"), offers.pick("c2", "1")
('/change_language{"language": "es"}', '/change_language{"language": "es"}', None, None)
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store pulls in SQLAlchemy; an Offers kept in memory does not need it
    from bot.gateway_store import GatewayStore

__all__ = ["LANGUAGE_MENU", "Offers", "fold", "is_keyword", "keywords"]

LANGUAGE_MENU = "/change_language"
_NUMBER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")  # "2", "2.", "#2"; any script's digits


# Letters typed interchangeably: Vietnamese đ without accents is d; an Arabic keyboard's yeh
# and kaf are the Persian ones.
_SAME_LETTER = str.maketrans({"đ": "d", "ي": "ی", "ك": "ک", "ى": "ی"})


def fold(text: str) -> str:
    """Compatibility-fold, lower-case, drop Latin accents and trim: "ＬＡＮＧＵＡＧＥ!", "ngon ngu" match.

    Only accents on Latin letters go: a Thai tone mark, a Japanese voicing mark or the
    Cyrillic breve change the word ("ใช้" is not "ใช่", "й" is not "и").

    >>> fold("ＬＡＮＧＵＡＧＥ!") == fold("language"), fold("Ngôn ngữ") == fold("ngon ngu")
    (True, True)
    >>> fold("BẮT ĐẦU") == fold("bat dau"), fold("كمك") == fold("کمک")
    (True, True)
    >>> fold("ใช้") == fold("ใช่"), fold("ヘルプ") == fold("ヘルフ"), fold("ЕЩЁ") == fold("ещё")
    (False, False, True)
    """
    kept: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFKD", text.casefold().translate(_SAME_LETTER)):
        if unicodedata.combining(char):
            if not latin:
                kept.append(char)
            continue
        latin = unicodedata.name(char, "").startswith("LATIN")
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).strip(" \t\n.!?¿¡。！？")


def keywords(labels: Iterable[str]) -> frozenset[str]:
    """The keywords in labels such as "Idioma / Language" or "語言 / Language"."""
    return frozenset(fold(part) for label in labels for part in label.split("/") if fold(part))


def is_keyword(text: str, words: frozenset[str]) -> bool:
    """Is the whole message one of `words`? ("stop the raids" is not "stop")."""
    return fold(text) in words


class Offers:
    """The buttons last offered in each conversation, for a while.

    In memory by default, bounded in size and age so it cannot grow without limit; one
    process only. With a `store` (`bot.gateway_store.GatewayStore` on a shared database),
    offers live there instead, so every gateway process sees them; the store's retention
    purge bounds them.
    """

    def __init__(self, max_conversations: int = 10_000, max_age_seconds: float = 3600.0,
                 store: GatewayStore | None = None) -> None:
        self._offers: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()
        self._max = max_conversations
        self._max_age = max_age_seconds
        self._store = store
        self._lock = threading.Lock()

    def remember(self, conversation: str, payloads: list[str]) -> None:
        """Record the buttons just sent in `conversation` (an empty list keeps the last offer)."""
        if not payloads:
            return
        if self._store is not None:
            self._store.remember_offer(conversation, payloads)
            return
        with self._lock:
            self._offers[conversation] = (time.monotonic(), tuple(payloads))
            self._offers.move_to_end(conversation)
            while len(self._offers) > self._max:
                self._offers.popitem(last=False)

    def _offered(self, conversation: str) -> tuple[str, ...] | None:
        if self._store is not None:
            return self._store.offer(conversation, self._max_age)
        with self._lock:
            found = self._offers.get(conversation)
        if not found or time.monotonic() - found[0] > self._max_age:
            return None
        return found[1]

    def pick(self, conversation: str, text: str) -> str | None:
        """The payload a numeric reply chooses, or None when it is not a choice on offer."""
        match = _NUMBER.match(unicodedata.normalize("NFKC", text))
        if not match:
            return None
        offered = self._offered(conversation)
        if not offered:
            return None
        index = int(match.group(1)) - 1
        return offered[index] if 0 <= index < len(offered) else None

    def forget(self, conversation: str) -> None:
        """Drop what was offered in `conversation`."""
        if self._store is not None:
            self._store.forget_offer(conversation)
            return
        with self._lock:
            self._offers.pop(conversation, None)
