"""Referral answers: which answer frames the list, and each group's line."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import directory
from bot.content import load_catalog
from bot.directory_model import LA_TZ, Hours
from bot.referrals import answer_key, entry_line, referral, weekly_hours
from bot.settings import PROJECT_ROOT

DIR = PROJECT_ROOT / "data" / "directory"
SUNDAY_NIGHT = dt.datetime(2026, 11, 29, 23, 30, tzinfo=LA_TZ)  # a Sunday, 11:30 p.m. in Los Angeles
MONDAY_NOON = dt.datetime(2026, 11, 30, 12, 0, tzinfo=LA_TZ)


@pytest.fixture(scope="module")
def data() -> directory.Directory:
    return directory.load_directory(DIR)


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(PROJECT_ROOT / "locales", DIR)


def result_for(data: directory.Directory, key: str, when: dt.datetime, kind: str = "support_services") -> directory.Result:
    lookup = directory.find(data, kind, "en", None, when, limit=50)
    return next(r for r in lookup.results if r.organization.key == key)


def test_a_closed_office_shows_its_hours_in_the_residents_language(data, catalog) -> None:  # type: ignore[no-untyped-def]
    closed = result_for(data, "city_311", SUNDAY_NIGHT)
    assert closed.open_now is False
    assert "closed now (Mon–Fri 07:00–19:00, Sat–Sun 08:00–16:45)" in entry_line(catalog, closed, "en", "web")
    assert "lun–vie 07:00–19:00" in entry_line(catalog, closed, "es", "web")
    assert "open now" in entry_line(catalog, result_for(data, "city_311", MONDAY_NOON), "en", "web")


def test_every_line_shows_when_it_was_checked_and_sms_lines_skip_the_web_site_when_there_is_a_phone(data, catalog) -> None:  # type: ignore[no-untyped-def]
    line = entry_line(catalog, result_for(data, "city_311", MONDAY_NOON), "en", "sms")
    assert "checked 2026-11-26" in line and "myla311" not in line and "311" in line


def test_a_24_hour_line_says_so(data, catalog) -> None:  # type: ignore[no-untyped-def]
    line = entry_line(catalog, result_for(data, "lifeline_988", SUNDAY_NIGHT), "en", "web")
    assert "open 24 hours" in line and "closed" not in line


PLACES = [("90033", "resources.location"), ("10001", "resources.outside_area"), (None, "resources.anywhere")]


@pytest.mark.parametrize(("text", "key"), PLACES)
def test_the_answer_fits_the_place(data, catalog, text: str | None, key: str) -> None:  # type: ignore[no-untyped-def]
    location = directory.resolve_location(data, text) if text else None
    lookup = directory.find(data, "legal_help", "es", location, MONDAY_NOON)
    assert answer_key(lookup) == key
    message = referral(catalog, lookup, "es", "web")
    assert message["topic"] == key and message["lang"] == "es" and message["sources"]
    assert message["text"].count("•") == len(lookup.results) >= 1


def test_weekly_hours_keep_separate_days_apart() -> None:
    hours = Hours(weekly={"mon": ((540, 1020),), "wed": ((540, 1020),)})
    assert weekly_hours(hours, "en") == "Mon 09:00–17:00, Wed 09:00–17:00"
