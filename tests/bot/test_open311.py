"""Reports in the Open311 GeoReport v2 form: fields, times, status, and nothing that identifies the resident."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from bot.open311 import export, services, to_georeport
from bot.reports import KINDS, Report

CREATED = datetime(2025, 7, 7, 17, 0, 5, 250, tzinfo=timezone.utc)
REPORT = Report(code="KYR-7KQM-3XPA", kind="enforcement", what="Agents stopping people at the gate", where="MacArthur Park boathouse",
                department="recreation_parks", facility="macarthur_park", occurred_at=CREATED - timedelta(minutes=30),
                details="Two white vans", photo_urls=("https://photos.example.org/1.jpg", "https://photos.example.org/2.jpg"),
                contact="+1 213 555 0147", lang="es", channel="sms", created_at=CREATED, status="new",
                acknowledged_at=None, acknowledged_by=None)
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")
GEOREPORT_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
                    "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                    "lat", "long", "media_url"}


def test_a_report_becomes_a_georeport_service_request() -> None:
    request = to_georeport(REPORT, agency_names={"recreation_parks": "Recreation and Parks"})
    assert set(request) == GEOREPORT_FIELDS
    assert request["service_request_id"] == "KYR-7KQM-3XPA" and request["status"] == "open"
    assert request["service_code"] == "enforcement" and request["service_name"] == "Federal immigration enforcement on City property"
    assert request["description"] == "Agents stopping people at the gate\n\nTwo white vans"
    assert request["address"] == "MacArthur Park boathouse" and request["address_id"] == "macarthur_park"
    assert request["agency_responsible"] == "Recreation and Parks"
    assert request["media_url"] == "https://photos.example.org/1.jpg"
    assert to_georeport(REPORT)["agency_responsible"] == "recreation_parks"
    general = to_georeport(replace(REPORT, department=None, details="", photo_urls=()))
    assert (general["agency_responsible"], general["description"], general["media_url"]) == (None, REPORT.what, None)


def test_times_are_iso_8601_with_an_offset() -> None:
    los_angeles = timezone(timedelta(hours=-7))
    request = to_georeport(replace(REPORT, created_at=CREATED.astimezone(los_angeles)))
    for name in ("requested_datetime", "updated_datetime"):
        assert ISO_WITH_OFFSET.fullmatch(request[name]), request[name]
    assert request["requested_datetime"] == "2025-07-07T10:00:05-07:00"
    assert datetime.fromisoformat(request["requested_datetime"]) == CREATED.replace(microsecond=0)


def test_an_acknowledged_report_is_closed_and_updated_at_its_acknowledgement() -> None:
    acknowledged = replace(REPORT, status="acknowledged", acknowledged_at=CREATED + timedelta(hours=2), acknowledged_by="ana.parks")
    request = to_georeport(acknowledged)
    assert request["status"] == "closed" and request["updated_datetime"] == "2025-07-07T19:00:05+00:00"
    assert to_georeport(REPORT)["updated_datetime"] == to_georeport(REPORT)["requested_datetime"]
    assert "ana.parks" not in json.dumps(request)


def test_nothing_identifies_the_resident() -> None:
    exported = json.dumps(export([REPORT, replace(REPORT, code="KYR-2222-3333")]), ensure_ascii=False)
    assert "555 0147" not in exported and "contact" not in exported and "+1 213" not in exported


def test_export_keeps_order_and_service_codes_can_be_mapped() -> None:
    codes = {"enforcement": "IMM-01", "hate_incident": "IMM-03"}
    requests = export([REPORT, replace(REPORT, code="KYR-2222-3333", kind="hate_incident")], codes)
    assert [(r["service_request_id"], r["service_code"]) for r in requests] == [("KYR-7KQM-3XPA", "IMM-01"), ("KYR-2222-3333", "IMM-03")]
    assert [s["service_code"] for s in services(codes)] == ["IMM-01", "police_cooperation", "IMM-03"]


def test_services_lists_our_three_kinds_in_georeport_form() -> None:
    listed = services()
    assert [s["service_code"] for s in listed] == list(KINDS)
    for service in listed:
        assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= set(service)
        assert service["metadata"] is False and service["type"] in ("realtime", "batch", "blackbox") and service["service_name"]
