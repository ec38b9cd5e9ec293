"""The report form's steps: answers, skips, corrections, and questions that interrupt."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.report_form import NOW, SLOTS, Message, Place, Words, new_report, read, required

WORDS = Words(skip=frozenset({"skip", "omitir", "건너뛰기"}), now=frozenset({"now", "ahora"}))


def park(text: str) -> Place | None:
    if "park" in text.lower() or "parque" in text.lower():
        return Place("recreation_parks", "macarthur_park", "city")
    if "home depot" in text.lower():
        return Place(None, None, "private")
    return None


def test_what_takes_the_residents_words_even_when_they_look_like_a_report() -> None:
    assert read("report_what", Message("ICE agents are detaining people", "report_enforcement"), WORDS, park) == {
        "report_what": "ICE agents are detaining people"}


@pytest.mark.parametrize("slot", ["report_what", "report_when", "report_details", "report_contact"])
def test_a_question_at_a_free_text_step_interrupts_the_form(slot: str) -> None:
    assert read(slot, Message("do I have to open the door?", "rights_home_visit"), WORDS, park) is None


def test_a_city_place_is_matched_and_must_be_confirmed() -> None:
    values = read("report_where", Message("en el parque MacArthur", "out_of_scope"), WORDS, park)
    assert values == {"report_where": "en el parque MacArthur", "report_department": "recreation_parks",
                      "report_facility": "macarthur_park", "report_owner": "city", "report_place_ok": None}
    assert "report_place_ok" in required(values)


def test_a_place_that_is_not_city_property_skips_the_confirmation() -> None:
    values = read("report_where", Message("at the Home Depot on Sunset", "out_of_scope"), WORDS, park)
    assert values is not None and values["report_department"] is None and values["report_owner"] == "private"
    assert "report_place_ok" not in required({"report_what": "x", **values})


def test_a_place_question_still_counts_when_it_names_a_place() -> None:
    assert read("report_where", Message("is the park safe?", "rights_sensitive_places"), WORDS, park) is not None
    assert read("report_where", Message("where is a lawyer?", "find_legal_help"), WORDS, park) is None


def test_no_at_the_place_check_asks_where_again() -> None:
    values = read("report_place_ok", Message("/deny", "deny"), WORDS, park)
    assert values == dict.fromkeys(["report_where", "report_place_ok", "report_department", "report_facility", "report_owner"])


@pytest.mark.parametrize("text", ["skip", "Omitir", "건너뛰기"])
def test_skip_words_of_any_locale_skip_an_optional_step(text: str) -> None:
    assert read("report_details", Message(text, "deny"), WORDS, park) == {"report_details": ""}
    assert read("report_when", Message(text, "deny"), WORDS, park) == {"report_when": NOW}


def test_the_skip_and_now_buttons_work_at_their_steps() -> None:
    skip = Message('/deny{"report_skip": "yes"}', "deny", {"report_skip": "yes"})
    now = Message('/affirm{"report_skip": "now"}', "affirm", {"report_skip": "now"})
    assert read("report_photo", skip, WORDS, park) == {"report_photo": ""}
    assert read("report_when", now, WORDS, park) == {"report_when": NOW}
    assert read("report_what", skip, WORDS, park) is None  # what happened cannot be skipped


def test_photos_come_from_mms_media_or_https_links_only() -> None:
    mms = Message("", "", media=("https://api.twilio.com/m/1", "https://api.twilio.com/m/2"))
    assert read("report_photo", mms, WORDS, park) == {"report_photo": "https://api.twilio.com/m/1 https://api.twilio.com/m/2"}
    link = Message("here http://x.example/a.jpg and https://x.example/b.jpg", "out_of_scope")
    assert read("report_photo", link, WORDS, park) == {"report_photo": "https://x.example/b.jpg"}


def test_contact_is_asked_only_after_a_yes() -> None:
    no = read("report_contact_ok", Message("no", "deny"), WORDS, park)
    assert no == {"report_contact_ok": False, "report_contact": ""}
    assert "report_contact" not in required({**no})
    assert read("report_contact_ok", Message("yes", "affirm"), WORDS, park) == {"report_contact_ok": True}
    assert read("report_contact_ok", Message("what is this?", "out_of_scope"), WORDS, park) is None


def test_the_final_check_sends_cancels_or_changes_one_answer() -> None:
    assert read("report_confirm", Message("/affirm", "affirm"), WORDS, park) == {"report_confirm": "send"}
    assert read("report_confirm", Message("/deny", "deny"), WORDS, park) == {"report_confirm": "cancel"}
    change = read("report_confirm", Message('/deny{"report_change": "when"}', "deny", {"report_change": "when"}), WORDS, park)
    assert change == {"report_when": None, "report_confirm": None}
    assert read("report_confirm", Message('/deny{"report_change": "name"}', "deny", {"report_change": "name"}), WORDS, park) == {
        "report_confirm": "cancel"}


def test_required_walks_the_steps_in_order() -> None:
    assert required({}) == list(SLOTS)
    assert required({"report_what": "agents", "report_where": "park", "report_department": "x"})[0] == "report_place_ok"


def test_the_report_keeps_contact_only_with_consent_and_the_given_time_in_the_details() -> None:
    now = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.timezone.utc)
    slots = {"report_what": "agents", "report_where": "MacArthur Park", "report_department": "recreation_parks",
             "report_facility": "macarthur_park", "report_when": "yesterday 5pm", "report_details": "two vans",
             "report_photo": "https://x.example/1.jpg", "report_contact_ok": False, "report_contact": "me@x.example"}
    report = new_report(slots, "es", "sms", now)
    assert report.contact is None and report.details == "[yesterday 5pm] two vans" and report.occurred_at == now
    assert report.photo_urls == ("https://x.example/1.jpg",) and report.lang == "es" and report.department == "recreation_parks"
    assert new_report({**slots, "report_contact_ok": True}, "es", "sms", now).contact == "me@x.example"


@pytest.mark.parametrize("intent", ["emergency_now", "rights_detained", "find_rapid_response", "rights_workplace"])
def test_a_description_that_looks_like_another_intent_is_still_an_answer(intent: str) -> None:
    text = "they are arresting people right now"
    assert read("report_what", Message(text, intent), WORDS, park) == {"report_what": text}
    assert read("report_details", Message(text, intent), WORDS, park) == {"report_details": text}


def test_questions_about_the_assistant_interrupt_even_without_a_question_mark() -> None:
    assert read("report_details", Message("change language", "change_language"), WORDS, park) is None
    assert read("report_where", Message("bye", "goodbye"), WORDS, park) is None  # leaving the form


@pytest.mark.parametrize("text", ["call me at [phone]", "email me: vecina@example.org", "llámame al 213 555 0147"])
def test_a_contact_is_an_answer_even_when_it_reads_like_asking_for_a_person(text: str) -> None:
    assert read("report_contact", Message(text, "talk_to_human"), WORDS, park) == {"report_contact": text}
