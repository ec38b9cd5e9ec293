"""GET /healthz answers 200 only when both Rasa and the action server answer."""

from __future__ import annotations

from dataclasses import replace

from connectors.app import create_app


def test_healthz_ok_when_both_answer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "rasa": True, "actions": True}


def test_healthz_503_when_the_action_server_is_down(settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(replace(settings, actions_url="http://127.0.0.1:9"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "rasa": True, "actions": False}
