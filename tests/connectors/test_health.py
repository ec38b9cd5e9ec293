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


def test_demo_page_and_widget_are_served_under_a_strict_csp(client) -> None:  # type: ignore[no-untyped-def]
    with client.get("/") as page:
        assert page.status_code == 200 and b'src="/widget.js"' in page.data
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    with client.get("/widget.js") as widget:
        assert widget.status_code == 200 and widget.mimetype == "text/javascript"
        assert b"innerHTML" not in widget.data and b"eval(" not in widget.data
