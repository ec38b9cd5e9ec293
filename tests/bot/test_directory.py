"""The resource directory: the shipped files load, places resolve, and the lookup ranks,
falls back and tells open from closed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.directory import KINDS, Directory, DirectoryError, Hours, find, load_directory, resolve_location
from bot.settings import PROJECT_ROOT

LA = ZoneInfo("America/Los_Angeles")
SHIPPED = PROJECT_ROOT / "data" / "directory"
FACTS = next((p for p in (Path("/work/shared/content-facts.md"), PROJECT_ROOT.parent / "shared" / "content-facts.md")
              if p.is_file()), None)
NOON_MONDAY = dt.datetime(2026, 11, 30, 12, 0, tzinfo=LA)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory(SHIPPED, FACTS)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "directory"
    target.mkdir()
    for name in ("organizations.yml", "neighborhoods.yml"):
        (target / name).write_text((SHIPPED / name).read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {name}; update the test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---- the shipped files -------------------------------------------------------------------

def test_shipped_files_offer_every_kind_and_many_neighborhoods(directory: Directory) -> None:
    for kind in KINDS:
        assert any(o.publish and kind in o.kinds for o in directory.organizations), kind
    keys = {h.key for h in directory.neighborhoods}
    assert len(keys) >= 60
    assert {"westlake", "macarthur_park", "koreatown", "boyle_heights", "pico_union", "van_nuys", "north_hollywood", "sylmar",
            "san_pedro", "wilmington", "highland_park", "thai_town", "little_armenia", "chinatown", "historic_filipinotown",
            "hollywood", "south_la", "watts", "venice"} <= keys


def test_low_confidence_entries_are_never_published(directory: Directory) -> None:
    assert all(not o.publish for o in directory.organizations if o.confidence == "low")
    assert all(o.verified == dt.date(2026, 11, 26) for o in directory.organizations)


def test_every_number_appears_verbatim_in_the_fact_sheet() -> None:
    if FACTS is None:
        pytest.skip("content-facts.md not found at /work/shared or ../shared; cannot check the numbers")
    facts = FACTS.read_text(encoding="utf-8")
    rows = yaml.safe_load((SHIPPED / "organizations.yml").read_text(encoding="utf-8"))["organizations"]
    numbers = [row[field] for row in rows for field in ("phone", "text") if field in row]
    assert "888-624-4752" in numbers and "(800) 593-8222" in numbers
    for number in numbers:
        assert re.search(rf"(?<![\d-]){re.escape(number)}(?![\d-])", facts), number


def test_every_neighborhood_resolves_by_each_of_its_names(directory: Directory) -> None:
    for hood in directory.neighborhoods:
        for name in (hood.name, *hood.aliases):
            location = resolve_location(directory, f"I live in {name}")
            assert location is not None and location.neighborhood == hood.key, (name, location)


# ---- resolving a location ----------------------------------------------------------------

def test_a_zip_code_resolves_to_its_coordinates(directory: Directory) -> None:
    location = resolve_location(directory, "I'm at 90057 right now")
    assert location is not None
    assert (location.zip, location.in_la_county, location.in_la_city) == ("90057", True, True)
    assert location.lat == pytest.approx(34.06, abs=0.02) and location.lon == pytest.approx(-118.28, abs=0.02)


def test_a_zip_plus_four_resolves_to_the_five_digit_zip(directory: Directory) -> None:
    location = resolve_location(directory, "90033-1234")
    assert location is not None and location.zip == "90033"


@pytest.mark.parametrize("text", ["کد پستی ۹۰۰۵۷", "รหัส ๙๐๐๕๗", "９００５７"])
def test_a_zip_code_in_other_digits_resolves(directory: Directory, text: str) -> None:
    location = resolve_location(directory, text)
    assert location is not None and location.zip == "90057"


def test_a_phone_number_is_not_read_as_a_zip_code(directory: Directory) -> None:
    assert resolve_location(directory, "call me at 2134801052") is None


@pytest.mark.parametrize("text, key", [
    ("Boyle Heights", "boyle_heights"),
    ("near MACARTHUR PARK please", "macarthur_park"),
    ("코리아타운에 살아요", "koreatown"),
    ("チャイナタウンの近く", "chinatown"),
    ("我住在中國城", "chinatown"),
    ("ผมอยู่ไทยทาวน์", "thai_town"),
    ("Ｋｏｒｅａｔｏｗｎ", "koreatown"),
    ("k-town", "koreatown"),
    ("Pico Union", "pico_union"),
    ("我住在Boyle Heights", "boyle_heights"),
    ("Գլենդելում ենք ապրում", "glendale"),
    ("говорят в Северном Голливуде рейд", "north_hollywood"),
    ("ノースハリウッドに住んでいます", "north_hollywood"),
])
def test_a_neighborhood_resolves_in_any_script(directory: Directory, text: str, key: str) -> None:
    location = resolve_location(directory, text)
    assert location is not None and location.neighborhood == key


@pytest.mark.parametrize("text, key", [("koreatwon", "koreatown"), ("boyle heigths", "boyle_heights"), ("hollywod", "hollywood")])
def test_a_small_typo_still_resolves(directory: Directory, text: str, key: str) -> None:
    location = resolve_location(directory, text)
    assert location is not None and location.neighborhood == key


@pytest.mark.parametrize("text", ["hello", "I need a lawyer", "necesito un abogado", "I was in the garden",
                                  "what are my rights at home", "immigration agents at my door", "thank you", "a hawthorn hedge",
                                  "a palisade", ""])
def test_everyday_words_resolve_to_nothing(directory: Directory, text: str) -> None:
    assert resolve_location(directory, text) is None


def test_a_katakana_name_inside_a_longer_word_is_not_a_place(directory: Directory) -> None:
    assert resolve_location(directory, "ガーデナーの仕事をしています") is None  # gardener, not Gardena
    gardena = resolve_location(directory, "ガーデナに住んでいます")
    assert gardena is not None and gardena.neighborhood == "gardena"


def test_a_place_name_that_names_a_street_is_not_the_place(directory: Directory) -> None:
    assert resolve_location(directory, "ice is at the home depot on san fernando rd") is None
    assert resolve_location(directory, "near Reseda Blvd") is None
    palms = resolve_location(directory, "sa Palms po, malapit sa Venice Blvd")
    assert palms is not None and palms.neighborhood == "palms"


def test_a_region_across_city_lines_leaves_the_city_open(directory: Directory) -> None:
    valley = resolve_location(directory, "estoy en el valle")
    assert valley is not None and valley.neighborhood == "san_fernando_valley"
    assert valley.in_la_county is True and valley.in_la_city is None


def test_the_longest_place_name_wins(directory: Directory) -> None:
    west = resolve_location(directory, "West Hollywood")
    north = resolve_location(directory, "north hollywood")
    assert west is not None and west.neighborhood == "west_hollywood" and west.in_la_city is False
    assert north is not None and north.neighborhood == "north_hollywood" and north.in_la_city is True


def test_a_city_in_the_county_is_outside_the_city(directory: Directory) -> None:
    glendale = resolve_location(directory, "Glendale")
    beverly_hills = resolve_location(directory, "90210")
    assert glendale is not None and (glendale.in_la_county, glendale.in_la_city, glendale.city) == (True, False, "Glendale")
    assert beverly_hills is not None and (beverly_hills.in_la_county, beverly_hills.in_la_city) == (True, False)


def test_a_zip_outside_la_county_is_resolved_but_flagged(directory: Directory) -> None:
    new_york = resolve_location(directory, "10001")
    assert new_york is not None and new_york.label == "New York, NY 10001"
    assert (new_york.in_la_county, new_york.in_la_city) == (False, False)
    lookup = find(directory, "legal_help", "en", new_york, NOON_MONDAY)
    assert lookup.outside_area is True and lookup.results


# ---- finding help -------------------------------------------------------------------------

def test_nearest_entries_come_first_by_distance(directory: Directory) -> None:
    lookup = find(directory, "legal_help", "es", resolve_location(directory, "90057"), NOON_MONDAY)
    assert lookup.language_served and not lookup.outside_area
    assert lookup.results[0].organization.key == "chirla" and lookup.results[0].distance_km == 0.0
    located = [r.distance_km for r in lookup.results if r.distance_km is not None]
    assert located == sorted(located) and len(located) >= 2
    assert all("es" in r.organization.languages for r in lookup.results)


def test_without_a_location_countywide_and_24_7_lines_come_first(directory: Directory) -> None:
    lookup = find(directory, "support_services", "en", None, NOON_MONDAY)
    assert len(lookup.results) == 3
    assert all(r.hours is not None and r.hours.always and r.distance_km is None for r in lookup.results)


def test_both_chinese_scripts_are_served_by_an_entry_that_says_zh(directory: Directory) -> None:
    for lang in ("zh-Hant", "zh-Hans"):
        lookup = find(directory, "legal_help", lang, None, NOON_MONDAY)
        assert lookup.language_served
        assert "ajsocal_chinese" in {r.organization.key for r in lookup.results}


def test_an_unserved_language_falls_back_to_interpretation_and_211(directory: Directory) -> None:
    lookup = find(directory, "legal_help", "hy", resolve_location(directory, "Little Armenia"), NOON_MONDAY)
    assert lookup.language_served is False
    assert [r.organization.key for r in lookup.results] == ["lavshate_211"]
    assert lookup.results[0].organization.interpretation and not lookup.results[0].serves_language


def test_interpretation_lines_fill_places_the_language_leaves_free(directory: Directory) -> None:
    lookup = find(directory, "support_services", "zh-Hant", None, NOON_MONDAY)
    assert lookup.language_served
    served = [r.organization.key for r in lookup.results if r.serves_language]
    filled = [r.organization.key for r in lookup.results if not r.serves_language]
    assert served == ["lapl"] and filled == ["lavshate_211"]


def test_the_hotline_is_always_reachable_for_rapid_response(directory: Directory) -> None:
    for lang in ("en", "es", "th"):
        lookup = find(directory, "rapid_response", lang, None, NOON_MONDAY)
        assert [r.organization.key for r in lookup.results] == ["larrn_hotline"]
        assert lookup.results[0].organization.phone == "888-624-4752"


def test_unpublished_entries_are_never_offered(directory: Directory) -> None:
    hidden = {o.key for o in directory.organizations if not o.publish}
    assert {"koreatown_rrn", "armenian_relief_society", "lausd"} <= hidden
    for kind in KINDS:
        for lang in ("en", "es", "hy", "ko", "zh-Hant"):
            for place in (None, "Koreatown", "Glendale", "Long Beach", "Boyle Heights"):
                location = resolve_location(directory, place) if place else None
                lookup = find(directory, kind, lang, location, NOON_MONDAY, limit=10)
                assert not hidden & {r.organization.key for r in lookup.results}


def test_a_24_7_line_is_open_at_3_am(directory: Directory) -> None:
    lookup = find(directory, "support_services", "en", None, dt.datetime(2026, 11, 29, 3, 0, tzinfo=LA))
    line = next(r for r in lookup.results if r.organization.key == "lifeline_988")
    assert line.open_now is True and line.hours is not None and line.hours.as_dict() == {"always": True}


def test_311_opening_hours_follow_the_weekday(directory: Directory) -> None:
    hours = directory.organization("city_311").hours
    assert hours is not None
    assert hours.is_open(dt.datetime(2026, 11, 29, 10, 0, tzinfo=LA))  # Sunday morning
    assert not hours.is_open(dt.datetime(2026, 11, 29, 17, 0, tzinfo=LA))  # Sunday after 4:45 p.m.
    assert hours.is_open(dt.datetime(2026, 11, 30, 18, 30, tzinfo=LA))  # Monday evening
    assert not hours.is_open(dt.datetime(2026, 11, 30, 3, 0, tzinfo=LA))
    # 02:00 UTC on a Tuesday in December is 18:00 on Monday in Los Angeles.
    assert hours.is_open(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc))


def test_unknown_hours_are_not_called_open_or_closed(directory: Directory) -> None:
    lookup = find(directory, "legal_help", "en", None, NOON_MONDAY)
    assert lookup.results and all(r.open_now is None and r.hours is None for r in lookup.results)


def test_an_office_with_weekday_hours_is_closed_on_sunday(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "organizations.yml", "    offers: Citizenship services, civic participation and scholarships.\n",
          "    offers: Citizenship services, civic participation and scholarships.\n"
          "    hours: {mon: [\"09:00-12:00\", \"13:00-17:00\"], tue: [\"09:00-17:00\"], wed: [\"09:00-17:00\"],"
          " thu: [\"09:00-17:00\"], fri: [\"09:00-17:00\"]}\n")
    salef = load_directory(folder).organization("salef")
    assert salef.hours is not None
    assert salef.hours.as_dict()["mon"] == ["09:00-12:00", "13:00-17:00"]
    sunday, monday = dt.datetime(2026, 11, 29, 11, 0, tzinfo=LA), dt.datetime(2026, 11, 30, 11, 0, tzinfo=LA)
    assert not salef.hours.is_open(sunday) and salef.hours.is_open(monday)
    assert not salef.hours.is_open(monday.replace(hour=12, minute=30))


def test_a_naive_time_is_refused(directory: Directory) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        find(directory, "legal_help", "en", None, dt.datetime(2026, 11, 30, 12, 0))


def test_hours_without_a_weekday_are_closed() -> None:
    assert not Hours(weekly={"mon": ((540, 1020),)}).is_open(dt.datetime(2026, 12, 1, 10, 0, tzinfo=LA))


# ---- validation of broken files -------------------------------------------------------------

@pytest.mark.parametrize("name, old, new, message", [
    ("organizations.yml", 'zip: "90017"', 'zip: "9001"', r"organizations\.yml:\d+ entry 'salef', field 'zip'"),
    ("neighborhoods.yml", 'zip: "90005"', 'zip: "10001"', r"neighborhoods\.yml:\d+ entry 'koreatown', field 'zip': .*L\.A\. County"),
    ("organizations.yml", "kinds: [rapid_response]", "kinds: [rapid_reponse]", r"entry 'larrn_hotline', field 'kinds'"),
    ("organizations.yml", "- key: immdef", "- key: esperanza", r"entry 'esperanza', field 'key': duplicate key"),
    ("neighborhoods.yml", "- key: watts", "- key: venice", r"neighborhoods\.yml.* 'venice', field 'key': duplicate key"),
    ("organizations.yml", 'phone: "213-480-1052"', "phone: UNCONFIRMED", r"entry 'salef', field 'phone': 'UNCONFIRMED' is not a phone"),
    ("organizations.yml", "web: chirla.org", "web: http://chirla.org", r"entry 'chirla', field 'web'.*https://"),
    ("organizations.yml", "publish: false\n    reason: Only a 2019 listing [low] shows this number; call it before publishing.",
     "publish: true", r"entry 'koreatown_rrn', field 'publish'.*\[low\]"),
    ("organizations.yml", "area: thai_town", "area: thaitown", r"entry 'thai_cdc', field 'area'"),
    ("organizations.yml", "languages: [en, th]", "languages: [English, th]", r"entry 'thai_cdc', field 'languages'"),
    ("organizations.yml", 'mon: ["07:00-19:00"]', 'mon: ["19:00-07:00"]', r"entry 'city_311', field 'hours': mon"),
    ("organizations.yml", "  rapid_response: larrn_hotline", "  rapid_response: koreatown_rrn", r"field 'fallback'"),
    ("organizations.yml", "    lat: 34.0559", "    lat: 34.5", r"entry 'salef', field 'lat'"),
    ("neighborhoods.yml", '"k-town"', '"chinatown"', r"'chinatown' already names"),
])
def test_a_broken_file_is_rejected_naming_file_entry_and_field(tmp_path: Path, name: str, old: str, new: str, message: str) -> None:
    folder = _copy(tmp_path)
    _edit(folder, name, old, new)
    with pytest.raises(DirectoryError, match=message):
        load_directory(folder)


def test_a_number_the_fact_sheet_marks_unconfirmed_is_rejected(tmp_path: Path) -> None:
    if FACTS is None:
        pytest.skip("content-facts.md not found at /work/shared or ../shared")
    folder = _copy(tmp_path)
    _edit(folder, "organizations.yml", "    web: chirla.org", '    phone: "213-201-8700"\n    web: chirla.org')
    load_directory(folder)  # without the fact sheet the number looks fine
    with pytest.raises(DirectoryError, match=r"entry 'chirla', field 'phone': 213-201-8700 is marked UNCONFIRMED"):
        load_directory(folder, FACTS)


def test_a_number_missing_from_the_fact_sheet_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    facts = tmp_path / "facts.md"
    facts.write_text("| hotline | **888-624-4752** | high |\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"entry 'ajsocal', field 'phone': 888-349-9695 is not in the fact sheet"):
        load_directory(folder, facts)
