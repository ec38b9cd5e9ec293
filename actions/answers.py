"""Answer an intent with its content: rights, resources, reports and small talk alike.

The intent-to-topic table lives in `bot.topics`; one action serves them all, so that adding
a topic is a content and data change, not a code change.
"""

from __future__ import annotations

from typing import Any

from actions.base import ContentAction, Turn, content_store, retention_days
from bot.messages import BotMessage, answer
from bot.topics import topic_for


class ActionAnswer(ContentAction):
    """Answer the latest intent from `locales/`."""

    def name(self) -> str:
        return "action_answer"

    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        key = topic_for(turn.intent) or "conversation.menu"
        extra: dict[str, Any] = {"retention_days": retention_days()}
        return [answer(content_store().get(), key, lang, turn.channel, extra)]
