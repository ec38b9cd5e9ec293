"""The liaison inbox at /liaison: each department's liaison reads and acknowledges its reports.

Server-rendered pages, no JavaScript. A liaison signs in with an account made by
`kyr311 liaison add`; the Flask session cookie (signed, HttpOnly, SameSite=Strict, Secure
unless the public URL is a local http one) carries only a random token of a server-side
session (bot.liaisons), so signing out ends it for good. Every POST needs a CSRF token
(Flask-WTF): `CSRFProtect` is set up with WTF_CSRF_CHECK_DEFAULT off and called from this
blueprint only, so the Twilio webhooks and the JSON chat API (and blueprints added later)
need no token and no exemption list. Another department's report is a 404, exactly like a
missing code. Logs name the liaison and department only, never a report's content.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot import languages
from bot.liaisons import Liaison, LiaisonStore, department_names
from bot.reports import ReportStore
from bot.settings import Settings

__all__ = ["bp", "csrf", "init_app"]

bp = Blueprint("liaison", __name__, url_prefix="/liaison", template_folder="templates")
csrf = CSRFProtect()
log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
LA = ZoneInfo("America/Los_Angeles")
PUBLIC = frozenset({"liaison.login", "liaison.stylesheet"})
_CODE = re.compile(r"[A-Za-z0-9-]{1,32}")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")


def _local(public_url: str) -> bool:
    """True for a plain-http public URL on this machine, where a Secure cookie would never be sent."""
    parts = urlsplit(public_url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def init_app(app: Flask, reports: ReportStore, liaisons: LiaisonStore) -> None:
    """Give the app the inbox: stores, session and CSRF settings, and the blueprint."""
    ext = app.extensions.setdefault("kyr311", {})
    settings: Settings | None = ext.get("settings")
    ext["reports"], ext["liaisons"] = reports, liaisons
    if settings is not None:
        ext.setdefault("department_names", department_names(settings.directory_dir) or {})
        if not app.secret_key:  # a key of its own, derived, so the cookie key is not the master secret
            app.secret_key = hmac.new(settings.secret_key.encode(), b"kyr311.liaison-session", hashlib.sha256).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="kyr311_liaison",
        SESSION_COOKIE_PATH="/liaison",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=not (settings is None or _local(settings.public_url)),
        PERMANENT_SESSION_LIFETIME=liaisons.session_lifetime,
        WTF_CSRF_CHECK_DEFAULT=False,  # opt-in: only this blueprint calls csrf.protect()
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
    )
    csrf.init_app(app)
    app.register_blueprint(bp)


def _ext() -> dict[str, Any]:
    return current_app.extensions["kyr311"]  # type: ignore[no-any-return]


def _reports() -> ReportStore:
    return _ext()["reports"]  # type: ignore[no-any-return]


def _liaisons() -> LiaisonStore:
    return _ext()["liaisons"]  # type: ignore[no-any-return]


def department_name(key: str) -> str:
    """The department's name from the places directory or departments.yml; the key when unknown."""
    departments = getattr(_ext().get("places"), "departments", None)  # bot.places.Places, when the app loaded it
    name = getattr(departments.get(key), "name", None) if isinstance(departments, Mapping) else None
    return name if isinstance(name, str) and name else str(_ext().get("department_names", {}).get(key, key))


def _me() -> Liaison:
    liaison: Liaison = g.liaison
    return liaison


@bp.context_processor
def signed_in() -> dict[str, Any]:
    """Every inbox page shows who is signed in, for which department."""
    me = g.get("liaison")
    return {"me": me, "department": department_name(me.department) if me else None}


@bp.before_request
def require_sign_in() -> Response | None:
    """Signed out: only the sign-in page. Every POST: a valid CSRF token."""
    token = session.get("token")
    g.liaison = _liaisons().session(token) if isinstance(token, str) else None
    if g.liaison is None and request.endpoint not in PUBLIC:
        session.clear()
        return redirect(url_for("liaison.login"), 303)  # type: ignore[return-value]
    csrf.protect()
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    # Same-origin, so Flask-WTF's HTTPS referrer check can pass; photo links carry rel=noreferrer.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[str, int]:
    return render_template("liaison/error.html", error="expired"), 400


@bp.errorhandler(404)
def not_found(exc: Exception) -> tuple[str, int]:
    return render_template("liaison/error.html", error="not_found"), 404


@bp.app_template_filter("liaison_time")
def la_time(moment: datetime | None) -> str:
    """A time as Los Angeles reads it, e.g. 2026-11-26 14:05 PST."""
    return moment.astimezone(LA).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


@bp.app_template_filter("language_name")
def language_name(tag: str) -> str:
    """The English name of a BCP 47 tag, e.g. zh-Hant -> Chinese (Traditional) (zh-Hant)."""
    try:
        name = languages.english_name(tag) if tag in languages.LANGUAGES else Locale.parse(tag, sep="-").get_display_name("en")
        return f"{name} ({tag})"
    except (ValueError, UnknownLocaleError):
        return tag


@bp.get("/style.css")
def stylesheet() -> Response:
    return send_from_directory(STATIC, "liaison.css", mimetype="text/css")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if g.liaison is not None:
        return redirect(url_for("liaison.inbox"), 303)
    if request.method == "GET":
        return render_template("liaison/login.html", failed=False)
    liaison = _liaisons().verify(request.form.get("username", "")[:200], request.form.get("password", "")[:2000])
    if liaison is None:
        log.info("liaison sign-in refused")  # never the typed text: it may be a password
        return render_template("liaison/login.html", failed=True)
    session.clear()
    session["token"] = _liaisons().open_session(liaison)
    log.info("liaison sign-in: %s (%s)", liaison.username, liaison.department)
    return redirect(url_for("liaison.inbox"), 303)


@bp.post("/logout")
def logout() -> Any:
    _liaisons().close_session(session["token"])
    log.info("liaison sign-out: %s (%s)", _me().username, _me().department)
    session.clear()
    return redirect(url_for("liaison.login"), 303)


@bp.get("/")
def inbox() -> str:
    status = request.args.get("status")
    status = status if status in ("new", "acknowledged") else None
    reports = _reports().list_for(_me().department, status=status)
    return render_template("liaison/inbox.html", reports=reports, status=status)


def _own_report(code: str) -> Any:
    """The report if it is this liaison's department's; 404 otherwise, the same as a missing code."""
    report = _reports().get(code) if _CODE.fullmatch(code) else None
    if report is None or report.department != _me().department:
        abort(404)
    return report


@bp.get("/reports/<code>")
def report(code: str) -> str:
    return render_template("liaison/report.html", report=_own_report(code))


@bp.post("/reports/<code>/acknowledge")
def acknowledge(code: str) -> Any:
    me = _me()
    if not _CODE.fullmatch(code) or not _reports().acknowledge(code, me.department, me.username):
        abort(404)
    log.info("liaison %s (%s) acknowledged %s", me.username, me.department, code)
    return redirect(url_for("liaison.report", code=code), 303)
