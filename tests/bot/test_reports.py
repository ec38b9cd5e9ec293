"""The report store: validation, reference codes, encryption at rest, departments, outbox rows, purging."""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.reports import NewReport, ReportError, ReportStore

SECRET = "reports-secret-" + "r" * 30
NOW = datetime(2025, 7, 7, 17, 0, tzinfo=timezone.utc)
PG_NOW = datetime(2001, 1, 1, 12, 0, tzinfo=timezone.utc)
CODE = re.compile(r"KYR-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}")


def new(**changes: object) -> NewReport:
    base = NewReport(kind="enforcement", what="Agents in vests stopping people near the pool", where="MacArthur Park, by the boathouse",
                     department="recreation_parks", facility="macarthur_park", occurred_at=NOW - timedelta(minutes=20))
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reports.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[ReportStore]:
    store = ReportStore(f"sqlite:///{db_path}", SECRET)
    yield store
    store.close()


def test_a_stored_report_reads_back_whole_under_a_unique_readable_code(store: ReportStore) -> None:
    report = store.add(new(details="Two white vans", photo_urls=("https://example.org/p/1.jpg",), contact="reply by text",
                           lang="es", channel="sms"), now=NOW)
    assert CODE.fullmatch(report.code) and report.status == "new" and report.acknowledged_at is None
    again = store.get(report.code.lower())  # read back over the phone, typed in lower case
    assert again == report
    assert (again.what, again.where, again.details, again.photo_urls, again.contact, again.lang, again.channel) == (
        "Agents in vests stopping people near the pool", "MacArthur Park, by the boathouse", "Two white vans",
        ("https://example.org/p/1.jpg",), "reply by text", "es", "sms")
    assert again.created_at == NOW and again.occurred_at == NOW - timedelta(minutes=20)
    codes = {store.add(new(), now=NOW).code for _ in range(40)}
    assert len(codes) == 40 and all(CODE.fullmatch(code) for code in codes)
    assert store.get("KYR-2222-2222") is None


def test_what_the_resident_wrote_is_not_in_the_database_files(store: ReportStore, db_path: Path) -> None:
    report = store.add(new(what="Agentes en la entrada norte", where="Biblioteca Central, 5th St", details="Dos camionetas blancas",
                           photo_urls=("https://photos.example.org/zz-unique-photo.jpg",), contact="+1 213 555 0147"), now=NOW)
    store.close()
    raw = b"".join(path.read_bytes() for path in db_path.parent.iterdir() if path.name.startswith(db_path.name))
    assert report.code.encode() in raw and b"recreation_parks" in raw  # the plain fields are there: the search looks in the right place
    for secret_text in ("Agentes en la entrada", "Biblioteca Central", "camionetas", "zz-unique-photo", "555 0147", "2135550147"):
        assert secret_text.encode() not in raw
    other_key = ReportStore(f"sqlite:///{db_path}", "another-secret-" + "o" * 30)
    assert other_key.get(report.code) is None and other_key.list_for("recreation_parks") == []
    other_key.close()


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "parking"}, "kind"),
    ({"what": "   "}, "what"),
    ({"where": ""}, "where"),
    ({"what": "x" * 1001}, "what"),
    ({"where": "x" * 301}, "where"),
    ({"details": "x" * 2001}, "details"),
    ({"contact": "x" * 201}, "contact"),
    ({"photo_urls": ("http://example.org/a.jpg",)}, "photo_urls"),
    ({"photo_urls": ("javascript:alert(1)",)}, "photo_urls"),
    ({"photo_urls": tuple(f"https://example.org/{i}.jpg" for i in range(6))}, "photo_urls"),
    ({"occurred_at": datetime(2025, 7, 7, 9, 0)}, "occurred_at"),
    ({"occurred_at": NOW + timedelta(days=2)}, "occurred_at"),
    ({"lang": "english please"}, "lang"),
    ({"lang": ""}, "lang"),
    ({"channel": "fax"}, "channel"),
    ({"department": "parks'; DROP TABLE reports"}, "department"),
    ({"facility": "a" * 65}, "facility"),
])
def test_an_invalid_report_is_rejected_naming_the_field_and_nothing_is_stored(store: ReportStore, changes: dict[str, object],
                                                                              field: str) -> None:
    with pytest.raises(ReportError, match=rf"^{field}: "):
        store.add(new(**changes), sinks=["email"], now=NOW)
    assert store.list_for("recreation_parks") == [] and store.general() == []


def test_text_is_trimmed_and_a_blank_contact_means_anonymous(store: ReportStore) -> None:
    report = store.add(new(what="  agents at the gate \n", contact="   ", occurred_at=NOW + timedelta(hours=3)), now=NOW)
    assert report.what == "agents at the gate" and report.contact is None


def test_each_sink_gets_one_pending_outbox_row_with_its_own_stable_key(store: ReportStore) -> None:
    report = store.add(new(), sinks=["email", "crm", "email"], now=NOW)
    rows = store.deliveries(report.code)
    assert [(d.sink, d.state, d.attempts) for d in rows] == [("crm", "pending", 0), ("email", "pending", 0)]
    assert [d.delivery_key for d in rows] == [store.delivery_key(report.code, "crm"), store.delivery_key(report.code, "email")]
    assert rows[0].delivery_key != rows[1].delivery_key
    with pytest.raises(ReportError, match=r"^sinks: "):
        store.add(new(), sinks=["e mail"], now=NOW)


def test_list_for_gives_only_that_departments_reports_newest_first(store: ReportStore) -> None:
    parks = [store.add(new(), now=NOW + timedelta(minutes=i)).code for i in range(3)]
    library = store.add(new(department="public_library"), now=NOW).code
    general = store.add(new(department=None, facility=None), now=NOW).code
    assert [r.code for r in store.list_for("recreation_parks")] == parks[::-1]
    assert [r.code for r in store.list_for("public_library")] == [library]
    assert [r.code for r in store.general()] == [general]
    assert [r.code for r in store.list_for("recreation_parks", limit=2)] == parks[:0:-1]
    assert store.acknowledge(parks[0], "recreation_parks", "ana.parks")
    assert [r.code for r in store.list_for("recreation_parks", status="new")] == [parks[2], parks[1]]
    assert [r.code for r in store.list_for("recreation_parks", status="acknowledged")] == [parks[0]]
    with pytest.raises(ReportError, match=r"^status: "):
        store.list_for("recreation_parks", status="closed")


def test_only_the_owning_department_can_acknowledge_and_only_once(store: ReportStore) -> None:
    code = store.add(new(), now=NOW).code
    assert not store.acknowledge(code, "public_library", "someone.else")
    assert store.get(code).status == "new"  # type: ignore[union-attr]
    assert store.acknowledge(code, "recreation_parks", "ana.parks", now=NOW + timedelta(hours=1))
    assert store.acknowledge(code, "recreation_parks", "second.click", now=NOW + timedelta(hours=2))
    report = store.get(code)
    assert report is not None and (report.status, report.acknowledged_by, report.acknowledged_at) == (
        "acknowledged", "ana.parks", NOW + timedelta(hours=1))
    general = store.add(new(department=None), now=NOW).code
    assert not store.acknowledge(general, "recreation_parks", "ana.parks") and not store.acknowledge("KYR-2222-2222", "x", "y")


def test_a_due_delivery_is_claimed_by_exactly_one_of_many_claimers(db_path: Path, store: ReportStore) -> None:
    codes = {store.add(new(), sinks=["crm"], now=NOW).code for _ in range(10)}
    others = [ReportStore(f"sqlite:///{db_path}", SECRET) for _ in range(4)]
    claimed: list[str] = []
    start = threading.Barrier(len(others))

    def claim(other: ReportStore) -> None:
        start.wait()
        claimed.extend(item.code for item in other.claim_due(["crm"], NOW))

    threads = [threading.Thread(target=claim, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(codes)
    assert store.claim_due(["crm"], NOW) == []
    for other in others:
        other.close()


def test_a_claim_left_by_a_dead_deliverer_is_released_and_a_retry_waits_its_turn(store: ReportStore) -> None:
    code = store.add(new(), sinks=["crm"], now=NOW).code
    [item] = store.claim_due(["crm"], NOW)
    assert store.claim_due(["crm"], NOW + timedelta(hours=1)) == []
    assert store.release_stale(NOW + timedelta(minutes=10)) == 1
    [again] = store.claim_due(["crm"], NOW + timedelta(minutes=10))
    assert (again.id, again.attempts, again.delivery_key) == (item.id, 2, item.delivery_key)
    store.settle(again.id, "pending", next_attempt_at=NOW + timedelta(hours=1), error="RuntimeError: HTTP 500")
    assert store.claim_due(["crm"], NOW + timedelta(minutes=59)) == []
    [delivery] = store.deliveries(code)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 2, "RuntimeError: HTTP 500")


def test_purge_removes_old_delivered_reports_and_keeps_undelivered_ones(store: ReportStore) -> None:
    old = NOW - timedelta(days=40)
    delivered, pending, failed, no_sinks = (store.add(new(occurred_at=old), sinks=["crm"] if i < 3 else [], now=old).code
                                              for i in range(4))
    recent = store.add(new(), sinks=["crm"], now=NOW).code
    items = {item.code: item for item in store.claim_due(["crm"], NOW)}
    store.settle(items[delivered].id, "done")
    store.settle(items[failed].id, "failed", error="gave up")
    store.settle(items[recent].id, "done")
    store.settle(items[pending].id, "pending", next_attempt_at=NOW, error="down")
    assert store.purge_delivered(30, now=NOW) == 2
    assert store.get(delivered) is None and store.get(no_sinks) is None and store.deliveries(delivered) == []
    assert all(store.get(code) is not None for code in (pending, failed, recent))
    assert [d.state for d in store.deliveries(failed)] == ["failed"]
    assert store.purge_delivered(30, now=NOW) == 0


def test_forget_deletes_a_report_and_its_outbox_rows(store: ReportStore) -> None:
    code = store.add(new(), sinks=["crm", "email"], now=NOW).code
    assert store.forget(code) and store.get(code) is None and store.deliveries(code) == [] and not store.forget(code)


def test_a_postgresql_url_makes_a_store_without_connecting() -> None:
    store = ReportStore("postgresql://kyr:secret@127.0.0.1:9/kyr311", SECRET)  # nothing listens on port 9
    assert store.dialect == "postgresql"
    store.close()


@pytest.mark.skipif(not os.environ.get("KYR_TEST_DATABASE_URL"), reason="set KYR_TEST_DATABASE_URL to a PostgreSQL URL to run")
def test_the_store_works_on_a_real_postgresql_server() -> None:
    store = ReportStore(os.environ["KYR_TEST_DATABASE_URL"], SECRET)
    # Times in 2001, so that the purge below can touch no other data (only reports from before 2001-01-02).
    department, sink = f"pgtest_{uuid.uuid4().hex[:12]}", f"sink_{uuid.uuid4().hex[:12]}"  # this run's rows only
    codes: list[str] = []
    try:
        assert store.dialect == "postgresql"
        for minute in range(2):
            report = new(occurred_at=PG_NOW, department=department, contact="call me")
            codes.append(store.add(report, sinks=[sink], now=PG_NOW + timedelta(minutes=minute)).code)
        assert [r.code for r in store.list_for(department)] == codes[::-1]
        assert store.get(codes[0]).contact == "call me"  # type: ignore[union-attr]
        assert store.acknowledge(codes[0], department, "pg.test") and not store.acknowledge(codes[0], "other", "x")
        items = store.claim_due([sink], PG_NOW + timedelta(hours=1))
        assert sorted(item.code for item in items) == sorted(codes) and store.claim_due([sink], PG_NOW + timedelta(hours=1)) == []
        store.settle(items[0].id, "done")
        store.settle(items[1].id, "failed", error="gave up")
        assert store.purge_delivered(0, now=PG_NOW + timedelta(days=1)) >= 1
        assert store.get(items[0].code) is None and store.get(items[1].code) is not None
    finally:
        for code in codes:
            store.forget(code)
        store.close()
