"""Turn a directory lookup into the answer a resident reads: which answer, and its list of groups.

Each group is one line: its name, phone, web site (web chat only), whether it is open now
(or open 24 hours), how far it is when a place was given, and the date the entry was last
checked against its source. The surrounding sentence, including the reminder that the City
does not run or endorse outside groups, comes from `locales/`.
"""

from __future__ import annotations

from datetime import datetime

from bot import languages
from bot.content import Catalog
from bot.directory import Lookup, Result
from bot.directory_model import DAYS, Hours
from bot.messages import BotMessage, answer

__all__ = ["KM_PER_MILE", "answer_key", "entry_line", "referral", "weekly_hours"]

KM_PER_MILE = 1.609344


def answer_key(lookup: Lookup) -> str:
    """The answer that frames the list: near a place, anywhere, outside the county, no language."""
    if lookup.location is None:
        return "resources.anywhere"
    if not lookup.location.in_la_county:
        return "resources.outside_area"
    if not lookup.language_served:
        return "resources.no_language"
    return "resources.location"


def entry_line(catalog: Catalog, result: Result, lang: str, channel: str) -> str:
    """One group: "• Name: 888-624-4752, chirla.org, open 24 hours, 2.4 miles away, checked 2026-11-26"."""
    org = result.organization
    # SMS: the web site only when there is no phone number (it costs segments).
    parts = [p for p in (org.phone, org.web if channel == "web" or not org.phone else None) if p]
    if org.hours is not None and org.hours.always:
        parts.append(catalog.label("resources.always_open", lang))
    elif result.open_now:
        parts.append(catalog.label("resources.open_now", lang))
    elif result.open_now is False and org.hours is not None:
        parts.append(f"{catalog.label('resources.closed_now', lang)} ({weekly_hours(org.hours, lang)})")
    if result.distance_km is not None:
        parts.append(catalog.label("resources.miles", lang, miles=f"{result.distance_km / KM_PER_MILE:.1f}"))
    parts.append(catalog.label("resources.checked", lang, date=result.verified.isoformat()))
    return f"• {org.name}: {', '.join(parts)}"


def weekly_hours(hours: Hours, lang: str) -> str:
    """Opening hours with days in the language, runs of days with the same hours joined.

    >>> weekly_hours(Hours(weekly={d: ((420, 1140),) for d in DAYS[:5]} | {"sat": ((480, 1005),)}), "en")
    'Mon–Fri 07:00–19:00, Sat 08:00–16:45'
    """
    names, shown = languages.day_names(lang), hours.as_dict()
    runs: list[tuple[int, int, str]] = []
    for index, day in enumerate(DAYS):
        if day not in shown:
            continue
        times = " ".join(shown[day]).replace("-", "–")
        if runs and runs[-1][1] == index - 1 and runs[-1][2] == times:
            runs[-1] = (runs[-1][0], index, times)
        else:
            runs.append((index, index, times))
    return ", ".join(f"{names[a]}{'–' + names[b] if b > a else ''} {times}" for a, b, times in runs)


def referral(catalog: Catalog, lookup: Lookup, lang: str, channel: str, now: datetime | None = None) -> BotMessage:
    """The answer listing the groups of `lookup`, with its sources (each group's own)."""
    lines = [entry_line(catalog, result, lang, channel) for result in lookup.results]
    separator = "\n" if channel == "web" else " "
    place = lookup.location.label if lookup.location else ""
    extra: dict[str, object] = {"list": separator.join(lines), "place": place, "language": languages.endonym(lang)}
    message = answer(catalog, answer_key(lookup), lang, channel, extra)
    message["sources"] = sorted({s for result in lookup.results for s in result.organization.sources})
    return message
