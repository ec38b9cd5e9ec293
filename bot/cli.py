"""The `kyr311` command line: train, run, chat, check content, purge old conversations, liaison accounts."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot import cli_admin
from bot.content import ContentError, load_catalog
from bot.settings import Settings, SettingsError

__all__ = ["main"]


def _content_check(settings: Settings) -> int:
    try:
        catalog = load_catalog(settings.locales_dir, settings.directory_dir)
    except ContentError as exc:
        print(f"Content check failed:\n{exc}", file=sys.stderr)
        return 1
    for lang in sorted(catalog.locales):
        stale = catalog.stale(lang) if lang != "en" else []
        print(f"{lang}: {len(catalog.locales[lang].answers)} answers, {len(stale)} stale")
    print("Content check passed.")
    return 0


def _content_status(settings: Settings, as_json: bool) -> int:
    from bot.content_tools import STATES, status

    table = status(settings.locales_dir)
    if as_json:
        print(json.dumps(table, indent=2, sort_keys=True))
        return 0
    print(f"{'locale':8}" + "".join(f"{s:>9}" for s in STATES))
    for lang, row in table.items():
        counts = [sum(v == s for v in row.values()) for s in STATES]
        print(f"{lang:8}" + "".join(f"{c:9d}" for c in counts))
        for key, state in sorted(row.items()):
            if state in ("stale", "missing"):
                print(f"  {state:8} {key}")
    return 0


def _content_preview(settings: Settings, topic: str, lang: str, channel: str) -> int:
    from bot.content_tools import preview

    try:
        catalog = load_catalog(settings.locales_dir, settings.directory_dir)
        shown = preview(catalog, topic, lang, channel, {"retention_days": settings.retention_days})
    except ContentError as exc:
        print(f"Content check failed:\n{exc}", file=sys.stderr)
        return 1
    except KeyError:
        print(f"No answer named {topic!r}. 'kyr311 content status' lists them.", file=sys.stderr)
        return 1
    print(shown.text)
    print(f"\n[{shown.lang}, {channel}: {shown.characters} characters, {shown.segments} SMS segments in {shown.encoding}]")
    return 0


def _content_po(settings: Settings, command: str, lang: str, path: Path) -> int:
    from bot.po import export_po, import_po

    if command == "export-po":
        count = export_po(settings.locales_dir, lang, path)
        print(f"Wrote {count} messages for {lang} to {path} (fuzzy: new, or the English changed)")
        return 0
    try:
        result = import_po(settings.locales_dir, lang, path, settings.directory_dir)
    except ContentError as exc:
        print(f"Import refused, nothing changed:\n{exc}", file=sys.stderr)
        return 1
    print(f"{lang}: {len(result.changed)} entries updated; {len(result.skipped_fuzzy)} fuzzy messages not imported")
    for key in result.changed:
        print(f"  updated {key}")
    return 0


def _content_stamp(settings: Settings, locale: str, reviewed_by: str | None) -> int:
    from bot.stamp import stamp

    if locale == "en" or not (settings.locales_dir / f"{locale}.yml").exists():
        print(f"No translation file locales/{locale}.yml to stamp (English is the source).", file=sys.stderr)
        return 1
    changed = stamp(settings.locales_dir, locale, reviewed_by)
    print(f"{locale}: stamped {changed} entries with the current English source version")
    return 0


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as exc:
        return dict(json.load(exc))


def _chat(url: str, lang: str | None) -> int:
    try:
        session = _post(f"{url}/chat/sessions", {})["session"]
    except (urllib.error.URLError, OSError) as exc:
        print(f"Cannot reach the gateway at {url} ({exc}). Start it with 'make run'.", file=sys.stderr)
        return 1
    print("Type a message (Ctrl-D to quit).")
    while True:
        try:
            text = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        reply = _post(f"{url}/chat/sessions/{session}/messages", {"text": text, **({"lang": lang} if lang else {})})
        for message in reply.get("messages", []) or [{"text": reply.get("error")}]:
            print(f"[{message.get('lang')} {message.get('topic')}]\n{message.get('text')}")
            for number, button in enumerate(message.get("buttons") or [], 1):
                print(f"  {number}. {button['title']}  ({button['payload']})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kyr311", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if a model for these inputs exists")
    sub.add_parser("model-path", help="print the path of the model for the current inputs")
    run = sub.add_parser("run", help="train if needed, then run actions, Rasa and the gateway")
    run.add_argument("--demo", action="store_true", help="make a local secret key if KYR_SECRET_KEY is not set")
    chat = sub.add_parser("chat", help="chat in the terminal with a running gateway")
    chat.add_argument("--url", default="http://127.0.0.1:8000")
    chat.add_argument("--lang", default=None, help="ask for answers in this language (e.g. es)")
    content = sub.add_parser("content", help="content tools")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate every locale; exit 1 on any error")
    status = content_sub.add_parser("status", help="answers by locale: current, draft, stale, missing")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    show = content_sub.add_parser("preview", help="show an answer exactly as a resident sees it")
    show.add_argument("topic", help="the answer's key, for example rights.home_visit")
    show.add_argument("--lang", default="en")
    show.add_argument("--channel", choices=("web", "sms"), default="web")
    export = content_sub.add_parser("export-po", help="write a locale as a gettext PO file for translation tools")
    export.add_argument("--lang", required=True)
    export.add_argument("--out", type=Path, required=True, help="the .po file to write")
    imported = content_sub.add_parser("import-po", help="read a translated PO file back (checked; fuzzy entries are skipped)")
    imported.add_argument("--lang", required=True)
    imported.add_argument("po", type=Path, help="the .po file to read")
    stamp = content_sub.add_parser("stamp", help="record that a locale matches the current English")
    stamp.add_argument("--lang", required=True)
    stamp.add_argument("--reviewed-by", default=None, help="mark the stamped entries reviewed by this person")
    purge = sub.add_parser("purge", help="delete conversations idle for longer than DAYS")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    forget = sub.add_parser("forget", help="delete everything kept about one resident who texted (conversation, records, reports)")
    forget.add_argument("--phone", required=True, help="the resident's phone number, e.g. +12135550100")
    reports = sub.add_parser("reports", help="reports of enforcement on City property")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True)
    exported = reports_sub.add_parser("export", help="print reports as Open311 GeoReport v2 service requests (JSON)")
    exported.add_argument("--department", help="a department key (data/directory/departments.yml); default: general reports")
    exported.add_argument("--out", type=Path, help="write to this file instead of printing")
    liaison = sub.add_parser("liaison", help="accounts of the departments' Immigrant Affairs Liaisons (the /liaison inbox)")
    liaison_sub = liaison.add_subparsers(dest="liaison_command", required=True)
    for name, text in (("add", "create an account for one department's liaison"),
                       ("set-password", "set a new password (unlocks the account, ends its sessions)")):
        account = liaison_sub.add_parser(name, help=text)
        account.add_argument("--username", required=True)
        if name == "add":
            account.add_argument("--department", required=True, help="a department key of data/directory/departments.yml")
        account.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    liaison_sub.add_parser("list", help="every account, its department and state")
    liaison_sub.add_parser("disable", help="disable an account and end its sessions").add_argument("--username", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kyr311` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(demo=args.command != "run" or args.demo)
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command in ("train", "model-path"):
        from bot import runner

        if args.command == "model-path":
            from bot.fingerprint import model_path

            print(model_path(runner.PROJECT_ROOT, runner.MODELS_DIR, runner.rasa_version()))
            return 0
        runner.ensure_model(force=args.force)
        return 0
    if args.command == "run":
        from bot import runner

        return runner.run(settings, demo=args.demo)
    if args.command == "chat":
        return _chat(args.url.rstrip("/"), args.lang)
    if args.command == "purge":
        from bot import retention
        from bot.reports import ReportStore

        conversations, records = retention.purge_all(settings.tracker_url, settings.gateway_url, settings.secret_key, args.older_than)
        reports = ReportStore(settings.reports_url, settings.secret_key)
        try:
            delivered = reports.purge_delivered(args.older_than)
        finally:
            reports.close()
        print(f"Deleted {conversations} conversations, {records} SMS gateway records and {delivered} delivered reports")
        return 0
    if args.command == "forget":
        return cli_admin.forget(settings, args.phone)
    if args.command == "reports":
        return cli_admin.reports_export(settings, args.department, args.out)
    if args.command == "liaison":
        return cli_admin.liaison(settings, args)
    if args.content_command == "check":
        return _content_check(settings)
    if args.content_command == "status":
        return _content_status(settings, args.json)
    if args.content_command in ("export-po", "import-po"):
        return _content_po(settings, args.content_command, args.lang, args.out if args.content_command == "export-po" else args.po)
    if args.content_command == "preview":
        return _content_preview(settings, args.topic, args.lang, args.channel)
    return _content_stamp(settings, args.lang, args.reviewed_by)


if __name__ == "__main__":
    sys.exit(main())
