"""Reports in the Open311 GeoReport v2 form, for 311 systems that speak it.

`to_georeport` gives one report as a GeoReport v2 "service request" (the element of a
`GET requests.json` answer); `services` gives the `GET services.json` list for our three
kinds of report. Nothing that identifies the resident (their contact) is ever included.
Field names follow the GeoReport v2 specification (https://wiki.open311.org/GeoReport_v2);
times are ISO 8601 with an offset, as it requires.

>>> [s["service_code"] for s in services()]
['enforcement', 'police_cooperation', 'hate_incident']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from bot.reports import KINDS, Report

__all__ = ["SERVICE_NAMES", "export", "iso", "services", "to_georeport"]

# API data for machines and 311 staff, in English like the rest of the GeoReport interface.
SERVICE_NAMES: Mapping[str, str] = {
    "enforcement": "Federal immigration enforcement on City property",
    "police_cooperation": "Local police cooperating with immigration enforcement",
    "hate_incident": "Hate incident",
}
_DESCRIPTIONS: Mapping[str, str] = {
    "enforcement": "Report federal immigration enforcement activity on City property; "
                   "it is routed to the department's Immigrant Affairs Liaison (Executive Directive No. 12).",
    "police_cooperation": "Report City police taking part in federal immigration enforcement.",
    "hate_incident": "Report a hate incident.",
}
_GROUP = "Immigrant Affairs"


def iso(value: datetime) -> str:
    """A time in ISO 8601 with its offset, to the second (naive times are taken as UTC).

    >>> iso(datetime(2025, 7, 7, 9, 30, 5, 123, tzinfo=timezone.utc))
    '2025-07-07T09:30:05+00:00'
    """
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return aware.isoformat(timespec="seconds")


def _code(kind: str, service_codes: Mapping[str, str] | None) -> str:
    return (service_codes or {}).get(kind, kind)


def to_georeport(report: Report, service_codes: Mapping[str, str] | None = None, *,
                 agency_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One report as an Open311 GeoReport v2 service request, without the resident's contact.

    `service_codes` maps our kinds to the receiving system's service codes (default: the
    kind itself); `agency_names` maps department keys to names for `agency_responsible`
    (default: the key; a general report has none).
    """
    description = report.what if not report.details else f"{report.what}\n\n{report.details}"
    department = report.department
    return {
        "service_request_id": report.code,
        "status": "closed" if report.status == "acknowledged" else "open",
        "status_notes": "acknowledged by the department" if report.status == "acknowledged" else None,
        "service_name": SERVICE_NAMES.get(report.kind, report.kind),
        "service_code": _code(report.kind, service_codes),
        "description": description,
        "agency_responsible": (agency_names or {}).get(department, department) if department else None,
        "service_notice": None,
        "requested_datetime": iso(report.created_at),
        "updated_datetime": iso(report.acknowledged_at or report.created_at),
        "expected_datetime": None,
        "address": report.where,
        "address_id": report.facility,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": report.photo_urls[0] if report.photo_urls else None,
    }


def export(reports: Iterable[Report], service_codes: Mapping[str, str] | None = None, *,
           agency_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Many reports as a GeoReport v2 `requests.json` answer (a JSON array)."""
    return [to_georeport(report, service_codes, agency_names=agency_names) for report in reports]


def services(service_codes: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The GeoReport v2 `services.json` list: one service per kind of report."""
    return [
        {
            "service_code": _code(kind, service_codes),
            "service_name": SERVICE_NAMES[kind],
            "description": _DESCRIPTIONS[kind],
            "metadata": False,    # no extra attributes to fill in (GET service definition not offered)
            "type": "realtime",   # the service_request_id (our reference code) is returned at once
            "keywords": "immigration, enforcement, immigrant affairs",
            "group": _GROUP,
        }
        for kind in KINDS
    ]
