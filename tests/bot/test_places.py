"""Matching the place a resident names to a City department, or to "not City property"."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.languages import LANGUAGES
from bot.places import Places, PlacesError, load_places, match_place
from bot.settings import PROJECT_ROOT

DIRECTORY = PROJECT_ROOT / "data" / "directory"


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places(DIRECTORY)


def best(places: Places, text: str, lang: str = "en") -> Any:
    found = match_place(places, text, lang)
    assert found, f"no place found in {text!r}"
    return found[0]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "ICE agents at MacArthur Park right now"),
    ("en", "i saw ice at macarthur park"),
    ("es", "vi a la migra en el Parque MacArthur"),
    ("zh-Hant", "我喺麥克阿瑟公園見到ICE"),
    ("zh-Hans", "在MacArthur公园看到ICE"),
    ("ko", "맥아더 공원에서 이민국 봤어요"),
    ("ko", "맥아더파크에 요원들 많이 있었어요"),
    ("fa", "ماموران ICE تو پارک مک‌آرتور بودن"),
    ("fa", "ماموران ICE تو پارک مک آرتور بودن"),
    ("ja", "マッカーサー・パークでICE見た"),
    ("th", "เห็น ICE ที่ MacArthur Park"),
])
def test_named_facility_is_found_in_many_languages_and_scripts(places: Places, lang: str, text: str) -> None:
    match = best(places, text, lang)
    assert (match.facility, match.department, match.city_property, match.owner) == ("macarthur_park", "recreation_parks", True, "city")
    assert match.route == "department" and match.score == 100


@pytest.mark.parametrize(("lang", "text", "facility", "department"), [
    ("en", "ice at lax arrivals", "lax", "airports"),
    ("es", "vi a la migra en el aeropuerto de LAX", "lax", "airports"),
    ("th", "ตม.ที่สนามบิน Van Nuys", "van_nuys_airport", "airports"),
    ("es", "en el puerto de san pedro estaban revisando a los trabajadores", "port_of_los_angeles", "harbor"),
    ("zh-Hant", "我喺LA港見到邊境巡邏隊", "port_of_los_angeles", "harbor"),
    ("en", "agents at the Central Library downtown", "central_library", "library"),
    ("en", "agents were at city hall today", "city_hall", "city_hall"),
    ("es", "la migra en la Placita Olvera", "el_pueblo_olvera_street", "el_pueblo"),
])
def test_named_facility_routes_to_the_department_that_holds_it(places: Places, lang: str, text: str, facility: str,
                                                               department: str) -> None:
    match = best(places, text, lang)
    assert (match.facility, match.department) == (facility, department)


def test_named_facility_beats_and_replaces_the_generic_word_inside_it(places: Places) -> None:
    found = match_place(places, "agents by the pool at MacArthur Park", "en")
    assert [(m.facility, m.department) for m in found] == [("macarthur_park", "recreation_parks")]
    found = match_place(places, "federal agents at the Central Library", "en")
    assert [(m.facility, m.department) for m in found] == [("central_library", "library")]


def test_generic_word_routes_to_the_department(places: Places) -> None:
    match = best(places, "there were agents at the library in Boyle Heights")
    assert (match.department, match.facility, match.owner, match.route) == ("library", None, "city", "department")
    assert match.city_property
    assert match.score < 100  # a generic word is less sure than a named place


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "agents at the library"), ("es", "en la biblioteca de Boyle Heights"), ("zh-Hant", "今朝圖書館有agent"),
    ("zh-Hans", "图书馆有联邦探员"), ("ko", "오늘 아침에 도서관에 요원들 있었어요"), ("tl", "may mga agents sa aklatan"),
    ("vi", "thay di tru o thu vien"), ("vi", "trước thư viện công cộng"), ("hy", "այսօր առավոտ գրադարանում գործակալներ կային"),
    ("fa", "امروز صبح مامورا تو کتابخونه بودن"), ("fa", "جلوی کتابخانه‌ای در مرکز شهر"), ("ru", "машины с агентами стоят возле библиотеки"),
    ("ja", "今朝図書館に捜査官がいました"), ("ja", "としょかんにICEいた"), ("th", "เมื่อเช้ามีเจ้าหน้าที่ตม.ที่ห้องสมุด"),
])
def test_library_is_found_in_every_launch_language(places: Places, lang: str, text: str) -> None:
    assert best(places, text, lang).department == "library"


def test_words_of_every_locale_are_searched_whatever_the_language(places: Places) -> None:
    assert best(places, "vi a la migra en el park", "es").department == "recreation_parks"
    assert best(places, "ICE tu park boodan", "fa").department == "recreation_parks"
    assert best(places, "агенты в parque", "ru").department == "recreation_parks"


@pytest.mark.parametrize(("text", "department"), [
    ("agents at the libary", "library"), ("ICE at the librery on 5th", "library"), ("la migra en la bibliotca", "library"),
    ("i saw la migra at the parck yesterdy", "recreation_parks"), ("agents at the airpot", "airports"),
    ("ice at McArthur Park", "recreation_parks"), ("agents near the recreation centre", "recreation_parks"),
])
def test_small_typos_in_latin_words_still_match(places: Places, text: str, department: str) -> None:
    assert best(places, text).department == department


def test_case_accents_and_full_width_forms_are_folded(places: Places) -> None:
    assert best(places, "ＩＣＥ ａｔ ＬＡＸ", "ja").facility == "lax"
    assert best(places, "BIBLIOTECA PÚBLICA", "es").department == "library"
    assert best(places, "cong vien gan nha", "vi").department == "recreation_parks"


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "ICE at the Whittier Narrows park"),
    ("es", "la migra en el parque Whittier Narrows"),
    ("en", "agents at the county park in El Monte"),
    ("zh-Hant", "洛杉磯縣立公園有ICE"),
    ("ru", "агенты в окружном парке"),
])
def test_county_park_is_not_city_property_and_goes_to_the_county(places: Places, lang: str, text: str) -> None:
    found = match_place(places, text, lang)
    assert [(m.owner, m.city_property, m.route, m.not_city) for m in found] == [("county", False, "county", "county")]


@pytest.mark.parametrize("text", ["ice is at the home depot on san fernando rd", "agents in the Home Depot parking lot",
                                  "샌퍼난도 로드 홈디포에 ICE 있어요", "there was a raid at the car wash on my street"])
def test_home_depot_and_car_wash_are_private(places: Places, text: str) -> None:
    found = match_place(places, text, "en")
    assert [(m.owner, m.city_property, m.route, m.department) for m in found] == [("private", False, "hotline", None)]


def test_coast_guard_station_on_terminal_island_is_federal(places: Places) -> None:
    found = match_place(places, "big federal operation at the Coast Guard station on Terminal Island", "en")
    assert [(m.owner, m.city_property, m.route, m.not_city) for m in found] == [("federal", False, "hotline", "federal")]


def test_bus_stop_owner_is_unknown_not_city(places: Places) -> None:
    match = best(places, "immigration agents at the bus stop on vermont")
    assert (match.owner, match.city_property, match.department, match.route) == ("unknown", False, None, "hotline")


def test_ambiguous_text_gives_several_candidates_best_first(places: Places) -> None:
    found = match_place(places, "agents between the park and the library", "en")
    assert {m.department for m in found} == {"recreation_parks", "library"}
    found = match_place(places, "the park, the library, the airport, the zoo and the port", "en")
    assert len(found) == 3 and [m.department for m in found] == ["recreation_parks", "library", "airports"]
    found = match_place(places, "I saw ICE at MacArthur Park and near a library", "en")
    assert [m.facility or m.department for m in found] == ["macarthur_park", "library"]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "I saw agents"), ("en", "I want to report ICE"), ("en", "they took my passport"), ("en", "a sport event"),
    ("en", "my cousin from Puerto Rico"), ("en", "they park their vans everywhere"), ("en", "I had a dash cam"),
    ("es", "porque vi a la migra en la puerta de mi casa"), ("es", "quiero reportar una redada que vi"),
    ("en", "asdkjh qwe zxcv 12345 !!!"), ("en", ""), ("en", "   "), ("en", "🙂🙂🚓"), ("en", "\u200f\u202e\u202c\u0000"),
    ("fa", "ماموران مهاجرت اینجا هستند، کمک کنید"), ("fa", "ICE اینجاست"), ("hy", "ICE-ը այստեղ է, օգնեք"),
    ("zh-Hant", "我想舉報ICE"), ("ja", "移民取締の活動を報告したい"), ("th", "อยากแจ้งกิจกรรมของตม."),
    ("ko", "이민 단속 목격 신고"), ("ru", "сообщить о появлении ICE"), ("vi", "càng ngày càng nhiều ICE"),
    ("en", "ICE在這裡 مأمور Агенты 요원 ตม. agents"), ("ko", "시 청소년센터에 ICE 왔었어요"),
])
def test_text_without_a_place_matches_nothing(places: Places, lang: str, text: str) -> None:
    assert match_place(places, text, lang) == []


def test_place_words_inside_other_names_are_skipped(places: Places) -> None:
    found = match_place(places, "agents at the library in Huntington Park near Harbor City", "en")
    assert [m.department for m in found] == ["library"]


def test_right_to_left_and_mixed_script_text_finds_the_place(places: Places) -> None:
    assert best(places, "\u202bمیخوام ICE رو تو پارک گزارش بدم\u202c", "fa").department == "recreation_parks"
    assert best(places, "ICE在公園 and agents 도서관에", "zh-Hant").department in {"recreation_parks", "library"}
    assert len(match_place(places, "ICE在公園 and agents 도서관에", "zh-Hant")) == 2


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.sampled_from([*LANGUAGES, "xx"]))
def test_any_text_gives_at_most_three_well_formed_candidates(places: Places, text: str, lang: str) -> None:
    found = match_place(places, text, lang)
    assert len(found) <= 3
    for m in found:
        assert 0 < m.score <= 100 and m.city_property == (m.owner == "city")
        assert (m.department in places.departments) if m.city_property else (m.not_city in places.not_city)


def test_very_long_text_is_cut_and_stays_fast(places: Places) -> None:
    found = match_place(places, "nothing here " * 5000 + "MacArthur Park", "en")
    assert found == []  # beyond the first characters: a report names its place early


def test_shipped_data_keeps_unconfirmed_holdings_out(places: Places) -> None:
    assert all(words == () for words in places.departments["general_services"].place_words.values())
    dot_words = " ".join(w for ws in places.departments["transportation"].place_words.values() for w in ws).lower()
    assert not any(p in dot_words for p in ("parking", "estacionamiento", "停車", "停车", "주차", "駐車"))
    assert set(places.departments["library"].place_words) == set(LANGUAGES)
    assert all(f.department in places.departments and f.sources for f in places.facilities.values())


# ---- loader errors ------------------------------------------------------------------------


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    target = tmp_path / "directory"
    shutil.copytree(DIRECTORY, target)
    return target


def edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_copied_data_loads(directory: Path) -> None:
    assert "library" in load_places(directory).departments


def test_facility_with_unknown_department_is_refused(directory: Path) -> None:
    edit(directory / "facilities.yml", lambda d: d["facilities"][0].update(department="parks_and_rec"))
    with pytest.raises(PlacesError, match=r"facilities\.yml: facilities 'macarthur_park': department 'parks_and_rec' is not a key"):
        load_places(directory)


def test_department_missing_a_locale_is_refused_and_told_how_to_fix(directory: Path) -> None:
    edit(directory / "departments.yml", lambda d: d["departments"][1]["place_words"].pop("ko"))
    with pytest.raises(PlacesError, match=r"departments 'library': place_words has no 'ko' list: .*`ko: \[\]`"):
        load_places(directory)


def test_one_word_for_two_places_is_refused(directory: Path) -> None:
    edit(directory / "departments.yml", lambda d: d["departments"][1]["place_words"]["en"].append("Park"))
    with pytest.raises(PlacesError, match=r"'Park' of 'library' also names 'recreation_parks'"):
        load_places(directory)


def test_every_problem_is_listed_at_once(directory: Path) -> None:
    def breaks(data: dict[str, Any]) -> None:
        data["departments"][0]["confidence"] = "certain"
        data["departments"][2]["sources"] = []
        data["not_city"][0]["route"] = "hotline"
        data["departments"][3]["key"] = "Airports!"

    edit(directory / "departments.yml", breaks)
    with pytest.raises(PlacesError) as caught:
        load_places(directory)
    message = str(caught.value)
    assert "confidence must be one of high, medium, low, unconfirmed" in message
    assert "departments 'harbor': sources must list the addresses" in message
    assert "not_city 'county': route must be 'county'" in message
    assert "needs a snake_case 'key'" in message


@pytest.mark.parametrize(("content", "expected"), [
    ("departments: [unclosed", "departments.yml: cannot be read as YAML"),
    ("- just a list", "departments.yml: must be a mapping"),
    ("departments: {}", "departments.yml: 'departments' must be a list"),
])
def test_broken_departments_file_is_refused_with_its_name(directory: Path, content: str, expected: str) -> None:
    (directory / "departments.yml").write_text(content, encoding="utf-8")
    with pytest.raises(PlacesError, match=expected):
        load_places(directory)


def test_missing_facilities_file_is_refused(directory: Path) -> None:
    (directory / "facilities.yml").unlink()
    with pytest.raises(PlacesError, match=r"facilities\.yml: cannot be read"):
        load_places(directory)
