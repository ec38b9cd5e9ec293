"""GET /healthz: 200 only when Rasa and the action server both answer."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    status = current_app.extensions["kyr311"]["rasa"].health()
    ok = all(status.values())
    return jsonify(status="ok" if ok else "unavailable", **status), 200 if ok else 503
