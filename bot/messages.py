"""The bot message payload every channel receives: text plus machine-readable fields."""

from __future__ import annotations

from typing import TypedDict

from bot import languages
from bot.content import Catalog
from bot.topics import MENU, WITH_MENU

__all__ = ["BotMessage", "Button", "answer", "language_menu"]


class Button(TypedDict):
    """A quick reply: what it says, and what it sends back when chosen."""

    title: str
    payload: str


class BotMessage(TypedDict):
    """One bubble: `lang` is BCP 47, `topic` the content key, `dir` the text direction."""

    text: str
    lang: str
    dir: str
    topic: str
    buttons: list[Button]
    sources: list[str]
    last_reviewed: str
    status: str


def menu_buttons(catalog: Catalog, lang: str) -> list[Button]:
    """The main menu as buttons whose payloads trigger intents directly."""
    return [Button(title=catalog.label(f"menu.{intent}", lang), payload=f"/{intent}") for intent in MENU]


def language_menu(catalog: Catalog, lang: str, channel: str) -> BotMessage:
    """The language menu: each served language named in its own script, numbered on SMS."""
    message = answer(catalog, "conversation.language_menu", lang, channel)
    message["buttons"] = [
        Button(title=languages.endonym(tag), payload=f'/change_language{{"language": "{tag}"}}')
        for tag in languages.LANGUAGES  # the order of DESIGN.md: English, Spanish, then by community size
        if tag in catalog.locales
    ]
    if channel == "sms":
        message["text"] += "".join(f"\n{number} {b['title']}" for number, b in enumerate(message["buttons"], 1))
    return message


def answer(catalog: Catalog, key: str, lang: str, channel: str, extra: dict[str, object] | None = None) -> BotMessage:
    """Render answer `key` in `lang` for `channel` ('web' or 'sms')."""
    rendered = catalog.render(key, lang, channel, extra)
    buttons = menu_buttons(catalog, rendered.lang) if key in WITH_MENU else []
    return BotMessage(
        text=rendered.text,
        lang=rendered.lang,
        dir=languages.direction(rendered.lang),
        topic=key,
        buttons=buttons,
        sources=list(rendered.sources),
        last_reviewed=rendered.last_reviewed,
        status=rendered.status,
    )
