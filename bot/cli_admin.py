"""The `kyr311` commands for City staff: liaison accounts, report export, forgetting a resident."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.settings import Settings

__all__ = ["forget", "liaison", "reports_export"]


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("New password (at least 12 characters): ")
    if getpass.getpass("The same password again: ") != first:
        print("The two passwords differ: nothing changed.", file=sys.stderr)
        return None
    return first


def liaison(settings: Settings, args: argparse.Namespace) -> int:
    from bot.liaisons import AccountError, LiaisonStore, department_names

    store = LiaisonStore(settings.reports_url)
    try:
        if args.liaison_command == "list":
            for account in store.accounts():
                state = "disabled" if account.disabled else "locked" if account.locked else "active"
                print(f"{account.username:32} {account.department:24} {state:9} created {account.created_at:%Y-%m-%d}")
            return 0
        if args.liaison_command == "disable":
            if not store.disable(args.username):
                print(f"No account {args.username!r}. 'kyr311 liaison list' lists them.", file=sys.stderr)
                return 1
            print(f"Disabled {args.username}; its sessions have ended.")
            return 0
        known = department_names(settings.directory_dir)
        if args.liaison_command == "add" and known is not None and args.department not in known:
            print(f"Unknown department {args.department!r}. Valid keys:\n  " + "\n  ".join(sorted(known)), file=sys.stderr)
            return 1
        password = _read_password(args.password_stdin)
        if password is None:
            return 1
        if args.liaison_command == "set-password":
            store.set_password(args.username, password)
            print(f"New password set for {args.username}; its sessions have ended.")
            return 0
        liaison = store.add(args.username, args.department, password)
        print(f"Added {liaison.username} for {liaison.department}: they sign in at {settings.public_url}/liaison/login")
        return 0
    except AccountError as exc:
        print(f"Nothing changed: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def forget(settings: Settings, phone: str) -> int:
    """Delete everything kept about the resident who texts from `phone` (their right to be forgotten)."""
    from bot import privacy, retention
    from bot.gateway_store import GatewayStore
    from bot.reports import ReportStore

    if sum(c.isdigit() for c in phone) < 7:
        print("Give the whole phone number, for example +12135550100.", file=sys.stderr)
        return 2
    conversation = privacy.conversation_id(settings.secret_key, "sms", phone)
    events = retention.forget(settings.tracker_url, conversation)
    records = 0
    if settings.database_url or settings.gateway_db.exists():
        store = GatewayStore(settings.gateway_url, settings.secret_key)
        try:
            records = store.forget(conversation)
        finally:
            store.close()
    reports = ReportStore(settings.reports_url, settings.secret_key)
    try:
        codes = reports.forget_contact(phone)
    finally:
        reports.close()
    print(f"Deleted {events} conversation events, {records} SMS gateway records and {len(codes)} reports that gave this "
          "number as contact. An opt-out (STOP) is kept, so the number is not texted again.")
    return 0


def reports_export(settings: Settings, department: str | None, out: Path | None) -> int:
    """Write reports in Open311 GeoReport v2 form (a department's, or the general ones)."""
    from bot.liaisons import department_names
    from bot.open311 import export
    from bot.reports import ReportStore

    store = ReportStore(settings.reports_url, settings.secret_key)
    try:
        reports = store.list_for(department) if department else store.general()
    finally:
        store.close()
    text = json.dumps(export(reports, agency_names=department_names(settings.directory_dir)), ensure_ascii=False, indent=2)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        print(f"Wrote {len(reports)} reports to {out}")
    return 0
