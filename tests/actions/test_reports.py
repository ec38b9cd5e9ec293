"""The report form's actions and the resource lookup, on real trackers with the shipped data."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import base, reports
from actions.reports import ActionSubmitReport, AskConfirm, AskPlaceOk, ValidateReportForm
from actions.resources import ActionFindResources
from bot.reports import ReportStore
from tests.actions.test_actions import tracker


@pytest.fixture(autouse=True)
def own_var(tmp_path, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each test its own var/ (reports database) and a fresh rate limiter."""
    monkeypatch.setenv("KYR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KYR_SECRET_KEY", "r" * 40)
    caches = (base.settings, base.content_store, reports.report_store, reports.rate_limiter, reports.sink_names)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


def form_tracker(text: str, intent: str, requested: str, slots: dict[str, Any] | None = None,
                 entities: list[dict[str, Any]] | None = None, metadata: dict[str, Any] | None = None) -> Tracker:
    t = tracker(text, intent, {"requested_slot": requested, **(slots or {})}, metadata, entities)
    t.active_loop = {"name": "report_form"}
    return t


def run(action, t: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {"forms": {"report_form": {"required_slots": list(reports.report_form.SLOTS)}}}))
    return [m["custom"] for m in dispatcher.messages], {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_named_park_is_matched_to_recreation_and_parks_then_confirmed_in_spanish() -> None:
    _, slots = run(ValidateReportForm(), form_tracker("en el parque MacArthur", "out_of_scope", "report_where",
                                                      {"lang": "es", "report_what": "agentes"}))
    assert slots["report_department"] == "recreation_parks" and slots["requested_slot"] == "report_place_ok"
    [ask], _ = run(AskPlaceOk(), tracker("en el parque MacArthur", "out_of_scope", {"lang": "es", **slots}))
    assert ask["lang"] == "es" and "MacArthur" in ask["text"] and "Recreation" in ask["text"]
    assert [b["payload"] for b in ask["buttons"]] == ["/affirm", "/deny"]


def test_a_county_park_is_kept_as_a_general_report_and_the_resident_is_told() -> None:
    messages, slots = run(ValidateReportForm(), form_tracker("Whittier Narrows park", "out_of_scope", "report_where",
                                                             {"lang": "en", "report_what": "agents"}))
    assert slots["report_department"] is None and slots["report_owner"] == "county"
    assert [m["topic"] for m in messages] == ["reports.county"] and "888-624-4752" in messages[0]["text"]
    assert slots["requested_slot"] == "report_when"


def test_a_question_during_the_form_sets_nothing_so_rasa_answers_it() -> None:
    messages, slots = run(ValidateReportForm(), form_tracker("do I have to open the door?", "rights_home_visit", "report_details"))
    assert messages == [] and slots == {}


def test_the_final_check_lists_the_answers_and_offers_changes() -> None:
    slots = {"lang": "ko", "report_what": "요원들이 사람들을 체포하고 있어요", "report_where": "LAX", "report_facility": "lax",
             "report_department": "airports", "report_when": "now", "report_details": "", "report_photo": "", "report_contact": ""}
    [ask], _ = run(AskConfirm(), tracker("아니요", "deny", slots))
    assert ask["lang"] == "ko" and "요원들이 사람들을 체포하고 있어요" in ask["text"]
    assert len(ask["buttons"]) == 5 and ask["buttons"][0]["payload"] == "/affirm"


def confirmed(**extra: Any) -> dict[str, Any]:
    return {"lang": "es", "report_what": "agentes deteniendo gente", "report_where": "parque MacArthur",
            "report_department": "recreation_parks", "report_facility": "macarthur_park", "report_owner": "city",
            "report_place_ok": True, "report_when": "now", "report_details": "dos camionetas", "report_photo": "",
            "report_contact_ok": False, "report_contact": "", "report_confirm": "send", **extra}


def test_a_confirmed_report_is_stored_encrypted_and_the_resident_gets_a_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    [reply], slots = run(ActionSubmitReport(), tracker("/affirm", "affirm", confirmed()))
    assert reply["topic"] == "reports.sent" and reply["lang"] == "es"
    code = next(word for word in reply["text"].replace(".", " ").split() if word.startswith("KYR-"))
    store = ReportStore(f"sqlite:///{tmp_path / 'reports.db'}", "r" * 40)
    report = store.get(code)
    assert report is not None and report.department == "recreation_parks" and report.contact is None
    assert report.what == "agentes deteniendo gente" and report.lang == "es"
    assert all(slots[s] is None for s in reports.report_form.FIRST_SLOTS)
    assert b"agentes deteniendo" not in (tmp_path / "reports.db").read_bytes()


def test_a_cancelled_report_saves_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    [reply], _ = run(ActionSubmitReport(), tracker("/deny", "deny", confirmed(report_confirm="cancel")))
    assert reply["topic"] == "reports.cancelled"
    assert not (tmp_path / "reports.db").exists() or not ReportStore(f"sqlite:///{tmp_path / 'reports.db'}", "r" * 40).general()


def test_a_flood_from_one_sender_is_limited_and_still_gets_the_hotline() -> None:
    topics = [run(ActionSubmitReport(), tracker("/affirm", "affirm", confirmed()))[0][0]["topic"] for _ in range(5)]
    assert topics[:3] == ["reports.sent"] * 3 and topics[3:] == ["reports.limited"] * 2
    limited = run(ActionSubmitReport(), tracker("/affirm", "affirm", confirmed()))[0][0]
    assert "888-624-4752" in limited["text"]


def test_legal_help_offers_a_location_lookup_that_can_be_skipped() -> None:
    messages, _ = run(ActionFindResources(), tracker("I need a free lawyer", "find_legal_help"))
    assert [m["topic"] for m in messages] == ["resources.legal_help", "resources.ask_location"]
    assert messages[1]["buttons"] == [{"title": "Skip", "payload": "/inform_location"}]
    skipped, _ = run(ActionFindResources(), tracker("/inform_location", "inform_location", {"resource_kind": "legal_help"}))
    assert [m["topic"] for m in skipped] == ["resources.anywhere"]


def test_a_zip_code_lists_nearby_groups_with_the_date_each_was_checked() -> None:
    [reply], slots = run(ActionFindResources(), tracker("90033", "inform_location", {"resource_kind": "legal_help"}))
    assert reply["topic"] == "resources.location" and ("90033" in reply["text"] or "Boyle" in reply["text"])
    assert reply["text"].count("•") >= 2 and "checked 20" in reply["text"] and "does not run or endorse" in reply["text"]
    assert reply["sources"] and slots["location_zip"] == "90033"


def test_a_zip_outside_la_county_is_said_so() -> None:
    [reply], _ = run(ActionFindResources(), tracker("10001", "inform_location", {"resource_kind": "support_services"}))
    assert reply["topic"] == "resources.outside_area"


def test_an_unknown_place_is_asked_again_with_skip() -> None:
    [reply], _ = run(ActionFindResources(), tracker("Narnia", "inform_location"))
    assert reply["topic"] == "resources.unknown_location" and reply["buttons"][0]["payload"] == "/inform_location"


def test_a_language_no_group_serves_is_said_and_interpretation_offered() -> None:
    [reply], _ = run(ActionFindResources(), tracker("Բոյլ Հայթս 90033", "inform_location", {"lang": "hy", "resource_kind": "legal_help"}))
    assert reply["lang"] == "hy" and reply["topic"] == "resources.no_language"
    assert "211" in reply["text"] and "Հայերեն" in reply["text"]


def test_an_sms_contact_number_is_kept_only_sealed_in_the_tracker_and_opened_for_the_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot import privacy

    sealed = privacy.seal("r" * 40, ["213-555-0147"])
    _, slots = run(ValidateReportForm(), form_tracker("text me at [phone]", "out_of_scope", "report_contact",
                                                      {"report_contact_ok": True}, metadata={"channel": "sms", "sealed_phones": sealed}))
    assert slots["report_contact"] == "text me at [phone]" and slots["report_contact_sealed"] == sealed
    [reply], _ = run(ActionSubmitReport(), tracker("/affirm", "affirm", confirmed(
        report_contact_ok=True, report_contact="text me at [phone]", report_contact_sealed=sealed), {"channel": "sms"}))
    code = next(word for word in reply["text"].replace(".", " ").split() if word.startswith("KYR-"))
    report = ReportStore(f"sqlite:///{tmp_path / 'reports.db'}", "r" * 40).get(code)
    assert report is not None and report.contact == "text me at 213-555-0147"


def _pg_ctl(*args: str) -> None:
    command = [os.environ["KYR_TEST_PG_CTL"], "-D", os.environ["KYR_TEST_PG_DATA"], *args]
    if os.geteuid() == 0:  # the throwaway server belongs to the postgres user
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def test_a_report_sent_while_postgresql_restarts_is_saved_once(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if database_url.startswith("sqlite") or not os.environ.get("KYR_TEST_PG_CTL"):
        pytest.skip("restarts a PostgreSQL server (make test starts one)")
    monkeypatch.setenv("KYR_DATABASE_URL", database_url)
    base.settings.cache_clear()
    reports.report_store.cache_clear()
    [before], _ = run(ActionSubmitReport(), tracker("/affirm", "affirm", confirmed()))
    assert before["topic"] == "reports.sent"
    _pg_ctl("-m", "fast", "-w", "stop")
    restart = threading.Timer(2.0, _pg_ctl, args=("-w", "-l", os.environ["KYR_TEST_PG_DATA"] + "/restart.log", "start"))
    restart.start()
    try:
        [during], _ = run(ActionSubmitReport(), tracker("/affirm", "affirm", confirmed(report_what="agentes en la biblioteca")))
    finally:
        restart.join()
    assert during["topic"] == "reports.sent", during["text"]
    store = ReportStore(database_url, "r" * 40)
    codes = [code_in(m) for m in (before, during)]
    assert all(store.get(code) is not None for code in codes)
    assert sum(r.what == "agentes en la biblioteca" for r in store.general() + store.list_for("recreation_parks")) == 1
    store.close()


def code_in(message: dict[str, Any]) -> str:
    return next(word for word in message["text"].replace(".", " ").split() if word.startswith("KYR-"))


def test_with_redis_the_limit_is_shared_and_a_redis_outage_does_not_block_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    url = os.environ.get("KYR_TEST_REDIS_URL")
    if not url:
        pytest.skip("set KYR_TEST_REDIS_URL to a Redis server (make test does)")
    monkeypatch.setenv("KYR_REDIS_URL", url)
    base.settings.cache_clear()
    reports.rate_limiter.cache_clear()
    sender = "redis-" + os.urandom(4).hex()
    t = tracker("/affirm", "affirm", confirmed())
    t.sender_id = sender
    topics = [run(ActionSubmitReport(), t)[0][0]["topic"] for _ in range(4)]
    assert topics == ["reports.sent"] * 3 + ["reports.limited"]
    reports.rate_limiter.cache_clear()  # another action server: the same count
    assert run(ActionSubmitReport(), t)[0][0]["topic"] == "reports.limited"
    monkeypatch.setenv("KYR_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    base.settings.cache_clear()
    reports.rate_limiter.cache_clear()
    assert run(ActionSubmitReport(), t)[0][0]["topic"] == "reports.sent"
