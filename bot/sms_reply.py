"""Turn the assistant's messages into SMS text: numbered choices, pages for MORE, keywords.

Buttons cannot be tapped on SMS, so each becomes a numbered line ("Reply 2: Español") and a
reply of just the number picks it (bot.choices.Offers). A reply longer than the segment
budget is cut into pages: the first is sent with "Reply MORE for the rest", and MORE sends
the next. The words that work as commands (STOP, START, HELP, MORE, MENU, LANGUAGE) come
from each locale's `keywords.*` labels, so translators control them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import choices, sms
from bot.content import Catalog
from bot.messages import BotMessage

__all__ = ["COMMANDS", "SmsReply", "command", "shape"]

# The language menu's SMS form numbers its languages itself, compactly ("1 English").
LISTS_ITS_CHOICES = "conversation.language_menu"

# Command -> the label whose words trigger it, in any locale.
COMMANDS = {
    "stop": "keywords.stop",
    "start": "keywords.start",
    "help": "keywords.help",
    "more": "keywords.more",
    "menu": "keywords.menu",
    "language": "menu.change_language",
}


@dataclass(frozen=True)
class SmsReply:
    """What to text back: the pages (the first now, the rest on MORE), and the choices offered."""

    pages: list[str]
    payloads: list[str]
    lang: str


def command(text: str, catalog: Catalog) -> tuple[str, str] | None:
    """(command, locale) when the whole message is a command word, else None.

    The locale is the one whose word it is ("AYUDA" is Spanish), for the reply's language.
    English is checked last: "INFO" is English and Spanish alike, and the Spanish
    speaker should get Spanish.
    """
    folded = choices.fold(text)
    if not folded:
        return None
    order = sorted(catalog.locales, key=lambda lang: lang == "en")
    for name, label in COMMANDS.items():
        for lang in order:
            if folded in choices.keywords([catalog.label(label, lang)]):
                return name, lang
    return None


def shape(messages: list[BotMessage], catalog: Catalog, max_segments: int) -> SmsReply:
    """The SMS pages for one turn's messages, with numbered choices and MORE paging."""
    lang = messages[-1]["lang"] if messages else "en"
    parts: list[str] = []
    payloads: list[str] = []
    for message in messages:
        lines = [message["text"].strip()]
        for button in message["buttons"]:
            payloads.append(button["payload"])
            if message["topic"] != LISTS_ITS_CHOICES:
                lines.append(catalog.label("sms.choice", lang, number=len(payloads), choice=button["title"]))
        parts.append("\n".join(line for line in lines if line))
    text = "\n\n".join(part for part in parts if part)
    more = "\n" + catalog.label("sms.more", lang)
    pages = sms.pages(text, max_segments, more) if text else []
    if len(pages) > 1:
        pages = [page + more for page in pages[:-1]] + pages[-1:]
    return SmsReply(pages=pages, payloads=payloads, lang=lang)
