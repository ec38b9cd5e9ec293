"""The chat widget's assets (GET /widget.js, /widget.css) and the demo 311 page (GET /).

`widget.js` carries its interface texts: every locale's `widget.*` labels and the language
names, put in when the file is served, so that an editor's change shows without a release
and the widget can still say "the chat cannot be reached" in the resident's language when
the server is gone. Assets are gzipped for clients that accept it (cheap phones, slow links).
"""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request

from bot import languages
from bot.content import Catalog

__all__ = ["CSP", "bp", "widget_bundle"]

bp = Blueprint("web", __name__)
STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
UI_MARKER = "/*KYR311_UI*/null"
LABEL_PREFIX = "widget."

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def ui_config(catalog: Catalog) -> dict[str, Any]:
    """The widget's languages (own-script names, direction) and its texts in each of them."""
    tags = [tag for tag in languages.LANGUAGES if tag in catalog.locales]
    keys = [key for key in catalog.locales["en"].labels if key.startswith(LABEL_PREFIX)]
    values = catalog.values
    return {
        "languages": [{"tag": tag, "name": languages.endonym(tag), "dir": languages.direction(tag)} for tag in tags],
        "strings": {tag: {key[len(LABEL_PREFIX):]: catalog.label(key, tag, **values) for key in keys} for tag in tags},
    }


def widget_bundle(catalog: Catalog) -> bytes:
    """widget.js with the interface texts of `catalog` in place of its marker."""
    with _cache_lock:
        if _cache.get("catalog") is not catalog:
            source = (STATIC / "widget.js").read_text(encoding="utf-8")
            config = json.dumps(ui_config(catalog), ensure_ascii=False, separators=(",", ":"))
            _cache.update(catalog=catalog, js=source.replace(UI_MARKER, config).encode("utf-8"))
        return _cache["js"]  # type: ignore[no-any-return]


def _asset(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(body, 9, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "public, max-age=300"
    # Host pages on other origins load these: allow it explicitly.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/")
def demo_page() -> Response:
    response = Response((STATIC / "demo.html").read_bytes(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    return response


@bp.get("/widget.js")
def widget() -> Response:
    catalog: Catalog = current_app.extensions["kyr311"]["content"].get()
    return _asset(widget_bundle(catalog), "text/javascript")


@bp.get("/widget.css")
def widget_css() -> Response:
    return _asset((STATIC / "widget.css").read_bytes(), "text/css")


@bp.get("/demo.css")
def demo_css() -> Response:
    return _asset((STATIC / "demo.css").read_bytes(), "text/css")
