"""Conversation control: choosing a language, and not understanding (rephrase, then menu)."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

from actions.base import FALLBACK_SLOT, ContentAction, Turn, content_store
from bot import languages
from bot.messages import BotMessage, answer, language_menu


class ActionChangeLanguage(ContentAction):
    """Switch to the language the resident names or picks; otherwise offer the menu."""

    def name(self) -> str:
        return "action_change_language"

    def _named(self, turn: Turn, served: list[str]) -> str | None:
        picked = languages.normalize(turn.entity("language"))
        if picked in served:
            return picked
        return None if turn.text.startswith("/") else languages.named_language(turn.text, served, turn.current_lang)

    def reply_language(self, turn: Turn, served: list[str]) -> languages.Choice:
        named = self._named(turn, served)
        return languages.Choice(named, "named") if named else super().reply_language(turn, served)

    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        catalog = content_store().get()
        if self._named(turn, sorted(catalog.locales)):
            return [answer(catalog, "conversation.language_set", lang, turn.channel)]
        return [language_menu(catalog, lang, turn.channel)]


class ActionFallback(ContentAction):
    """Low NLU confidence: ask to rephrase once, then offer the menu and a person."""

    def name(self) -> str:
        return "action_fallback"

    def messages(self, turn: Turn, lang: str) -> list[BotMessage]:
        key = "conversation.rephrase" if turn.fallbacks < 1 else "conversation.fallback_menu"
        return [answer(content_store().get(), key, lang, turn.channel)]

    def extra_events(self, turn: Turn, lang: str) -> list[EventType]:
        return [SlotSet(FALLBACK_SLOT, 1.0 if turn.fallbacks < 1 else 0.0)]
