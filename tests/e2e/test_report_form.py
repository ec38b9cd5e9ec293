"""The report form end to end: the trained model, Rasa's form, our actions, the reports database.

Each conversation goes through the chat API as a resident would, pressing buttons by sending
their payloads. Covered: completing, skipping, correcting, and interrupting then resuming, in
English, Spanish and Korean; the stored report is then read back as the liaison would see it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.reports import ReportStore
from tests.conftest import PUBLIC_URL, TWILIO_TOKEN
from tests.e2e.conftest import SECRET
from tests.e2e.test_chat_end_to_end import chat

pytestmark = pytest.mark.e2e

NOW = '/affirm{"report_skip": "now"}'
SKIP = '/deny{"report_skip": "yes"}'


def topics(replies: list[list[dict[str, Any]]]) -> list[list[str]]:
    return [[m["topic"] for m in reply] for reply in replies]


def code_of(message: dict[str, Any]) -> str:
    found = re.search(r"KYR-[0-9A-Z]{4}-[0-9A-Z]{4}", message["text"])
    assert found, message["text"]
    return found.group(0)


def store(stack: dict[str, Any]) -> ReportStore:
    return ReportStore(stack["settings"].reports_url, SECRET)


def test_an_english_report_is_completed_and_reaches_the_parks_department(stack) -> None:  # type: ignore[no-untyped-def]
    replies = chat(stack, "I want to report ICE agents at a city park", "Agents are detaining people near the playground",
                   "MacArthur Park", "/affirm", NOW, "two white vans, about six agents", "https://example.org/photo.jpg",
                   "/affirm", "liaison-reply@example.org", "/affirm")
    assert topics(replies) == [["reports.ask_what"], ["reports.ask_where"], ["reports.confirm_place"], ["reports.ask_when"],
                               ["reports.ask_details"], ["reports.ask_photo"], ["reports.ask_contact_ok"], ["reports.ask_contact"],
                               ["reports.summary"], ["reports.sent"]]
    assert "MacArthur" in replies[2][0]["text"] and "Agents are detaining people" in replies[8][0]["text"]
    assert all(m["lang"] == "en" for reply in replies for m in reply)
    report = store(stack).get(code_of(replies[-1][0]))
    assert report is not None and report.department == "recreation_parks" and report.facility == "macarthur_park"
    assert report.contact == "liaison-reply@example.org" and report.photo_urls == ("https://example.org/photo.jpg",)
    assert report.what == "Agents are detaining people near the playground" and report.lang == "en"
    # The gateway's deliverer sends it once to the parks liaison's e-mail and once to the webhook.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (_mails_for(stack, report.code) and _hooks_for(stack, report.code)):
        time.sleep(0.5)
    [(recipients, mail)] = _mails_for(stack, report.code)
    assert recipients == ["liaison.parks@example.org"] and report.code in mail["Subject"]
    [posted] = _hooks_for(stack, report.code)
    assert posted["service_request_id"] == report.code and "liaison-reply@example.org" not in json.dumps(posted)


def _mails_for(stack: dict[str, Any], code: str) -> list[Any]:
    return [(to, mail) for to, mail in stack["smtp"].messages if code in str(mail["Subject"])]


def _hooks_for(stack: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [body for body in stack["webhook"].accepted if body.get("service_request_id") == code]


def test_a_spanish_report_skips_and_corrects_the_place(stack) -> None:  # type: ignore[no-untyped-def]
    replies = chat(stack, "quiero reportar a la migra en un parque de la ciudad", "están arrestando a la gente",
                   "en la biblioteca central", "/deny", "en el parque MacArthur", "/affirm", "omitir", SKIP, "omitir",
                   "/deny", '/deny{"report_change": "where"}', "Griffith Park", "/affirm", "/affirm")
    assert topics(replies) == [["reports.ask_what"], ["reports.ask_where"], ["reports.confirm_place"], ["reports.ask_where"],
                               ["reports.confirm_place"], ["reports.ask_when"], ["reports.ask_details"], ["reports.ask_photo"],
                               ["reports.ask_contact_ok"], ["reports.summary"], ["reports.ask_where"], ["reports.confirm_place"],
                               ["reports.summary"], ["reports.sent"]]
    assert all(m["lang"] == "es" for reply in replies for m in reply)
    assert "Griffith" in replies[12][0]["text"] and "MacArthur" not in replies[12][0]["text"]
    report = store(stack).get(code_of(replies[-1][0]))
    assert report is not None and report.department == "recreation_parks" and report.facility == "griffith_park"
    assert report.contact is None and report.details == "" and report.photo_urls == ()


def test_a_korean_report_is_interrupted_by_a_question_resumes_and_is_cancelled(stack) -> None:  # type: ignore[no-untyped-def]
    before = len(store(stack).list_for("airports"))
    replies = chat(stack, "이민 단속을 신고하고 싶어요", "요원들이 사람들을 체포하고 있어요",
                   "집에 이민국 요원이 오면 문을 열어줘야 하나요?", "LAX", "/affirm", NOW, SKIP, SKIP, "/deny", "/deny")
    assert topics(replies) == [["reports.ask_what"], ["reports.ask_where"], ["rights.home_visit", "reports.ask_where"],
                               ["reports.confirm_place"], ["reports.ask_when"], ["reports.ask_details"], ["reports.ask_photo"],
                               ["reports.ask_contact_ok"], ["reports.summary"], ["reports.cancelled"]]
    assert all(m["lang"] == "ko" for reply in replies for m in reply)
    assert len(store(stack).list_for("airports")) == before


def test_a_place_that_is_not_city_property_becomes_a_general_report(stack) -> None:  # type: ignore[no-untyped-def]
    replies = chat(stack, "report immigration enforcement", "agents are questioning workers",
                   "the Home Depot parking lot on Sunset", NOW, SKIP, SKIP, "/deny", "/affirm")
    assert topics(replies)[2] == ["reports.not_city", "reports.ask_when"]
    assert topics(replies)[-1] == ["reports.sent_general"] and "888-624-4752" in replies[-1][0]["text"]
    report = store(stack).get(code_of(replies[-1][0]))
    assert report is not None and report.department is None


def test_help_near_a_zip_code_after_asking_for_a_lawyer(stack) -> None:  # type: ignore[no-untyped-def]
    replies = chat(stack, "I need a free immigration lawyer", "90033")
    assert topics(replies) == [["resources.legal_help", "resources.ask_location"], ["resources.location"]]
    assert "does not run or endorse" in replies[1][0]["text"] and "checked" in replies[1][0]["text"]


def sms(stack: dict[str, Any], body: str, sid: str, **extra: str) -> str:
    """One signed Twilio SMS (or MMS, with MediaUrl0...) from one resident; the reply's text."""
    form = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+13235550188", "To": "+12135550100",
            "Body": body, "NumMedia": "0", **extra}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms", form)
    response = requests.post(f"{stack['url']}/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200, response.text
    return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))


def test_a_report_by_sms_uses_numbered_replies_and_an_mms_photo(stack) -> None:  # type: ignore[no-untyped-def]
    photo = "https://api.twilio.com/2010-04-01/Accounts/AC00/Messages/MM1/Media/ME1"
    turns = [("I want to report immigration agents at a park", {}), ("agents are detaining people", {}),
             ("MacArthur Park", {}), ("1", {}), ("1", {}), ("two vans", {}),
             ("", {"NumMedia": "1", "MediaUrl0": photo, "MediaContentType0": "image/jpeg"}), ("1", {}),
             ("call me at 323-555-0188", {}), ("1", {})]
    replies = [sms(stack, body, f"SMreport{n:02d}" + "0" * 24, **extra) for n, (body, extra) in enumerate(turns)]
    assert "MacArthur" in replies[2] and "1" in replies[2]  # the place check, with numbered Yes / No
    code = re.search(r"KYR-[0-9A-Z]{4}-[0-9A-Z]{4}", replies[-1])
    assert code, "\n---\n".join(replies)
    report = store(stack).get(code.group(0))
    assert report is not None and report.channel == "sms" and report.photo_urls == (photo,)
    assert report.department == "recreation_parks" and report.details == "two vans"
    # The resident chose to be contacted: the number they typed is in the (encrypted) report,
    # while Rasa only ever saw [phone] and a sealed copy.
    assert report.contact == "call me at 323-555-0188"
    with sqlite3.connect(stack["settings"].tracker_db) as db:
        events = "\n".join(row[0] for row in db.execute("SELECT data FROM events"))
    assert "555-0188" not in events and "5550188" not in events


def test_goodbye_leaves_the_form_and_nothing_is_saved(stack) -> None:  # type: ignore[no-untyped-def]
    before = len(store(stack).general())
    replies = chat(stack, "report immigration enforcement", "agents are questioning people", "bye")
    assert topics(replies)[:2] == [["reports.ask_what"], ["reports.ask_where"]]
    assert topics(replies)[2] == ["conversation.goodbye"]
    assert len(store(stack).general()) == before
