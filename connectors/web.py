"""The demo 311 page (GET /) and the chat widget script (GET /widget.js)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

bp = Blueprint("web", __name__)
STATIC = Path(__file__).parent / "static"
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"


@bp.get("/")
def demo_page() -> Response:
    response = send_from_directory(STATIC, "demo.html", mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    return response


@bp.get("/widget.js")
def widget() -> Response:
    return send_from_directory(STATIC, "widget.js", mimetype="text/javascript")


@bp.get("/widget.css")
def widget_css() -> Response:
    return send_from_directory(STATIC, "widget.css", mimetype="text/css")
