"""The running stack every end-to-end module shares: the trained model, the action server,
Rasa and the gateway as real processes on loopback, started once per test session.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import runner
from bot.fingerprint import model_path
from bot.settings import Settings
from tests.conftest import PUBLIC_URL, TWILIO_TOKEN, FakeTwilio, SmtpServer, Webhook

SECRET = "e2e-secret-" + "z" * 40
START_TIMEOUT = 240
# Reports go to a real SMTP server and a webhook receiver on loopback (bot/delivery.py).
DELIVERY = """
sinks:
  - {{name: email, type: smtp, host: 127.0.0.1, port: {smtp}, sender: kyr311@example.org}}
  - {{name: crm, type: webhook, url: "{hook}", secret: e2e-webhook-secret}}
routing:
  general: [immigrant-affairs@example.org]
  liaisons:
    recreation_parks: [liaison.parks@example.org]
"""
HOST_PAGE_PORT = 18081  # another origin that embeds the widget (test_widget_browser)


@contextlib.contextmanager
def running(settings: Settings, model: Path, log_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start the services, wait until all are healthy and warmed up; stop them afterwards."""
    with log_path.open("wb") as log:
        processes = runner.start_services(settings, model, log)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not runner.healthy(settings):
                assert all(p.poll() is None for p in processes), log_path.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "services did not become healthy in time"
                time.sleep(1)
            assert runner.warm_up(settings), "the warm-up messages got no answer"
            yield processes
        finally:
            runner.stop_services(processes)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    model = model_path(runner.PROJECT_ROOT, runner.MODELS_DIR, runner.rasa_version())
    if not model.exists():
        pytest.skip("no trained model for the current inputs: run 'make train'")
    var = tmp_path_factory.mktemp("var")
    # Copies of the content, so that the hot-reload test can edit them under the running server.
    shutil.copytree(runner.PROJECT_ROOT / "locales", var / "locales")
    shutil.copytree(runner.PROJECT_ROOT / "data" / "directory", var / "directory")
    twilio = FakeTwilio()
    smtp, hook = SmtpServer(), Webhook()
    delivery = var / "delivery.yml"
    delivery.write_text(DELIVERY.format(smtp=smtp.port, hook=hook.url), encoding="utf-8")
    settings = Settings.from_env({
        "KYR_LOCALES_DIR": str(var / "locales"), "KYR_DIRECTORY_DIR": str(var / "directory"),
        "KYR_SECRET_KEY": SECRET, "KYR_VAR_DIR": str(var), "KYR_RASA_PORT": "15005",
        "KYR_ACTIONS_PORT": "15055", "KYR_GATEWAY_PORT": "18000", "KYR_RETENTION_DAYS": "21",
        "KYR_TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "KYR_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "KYR_TWILIO_API_URL": twilio.url, "KYR_PUBLIC_URL": PUBLIC_URL,
        "KYR_WIDGET_ORIGINS": f"http://127.0.0.1:{HOST_PAGE_PORT}", "KYR_DELIVERY_CONFIG": str(delivery),
    })
    log_path = var / "services.log"
    try:
        with running(settings, model, log_path) as processes:
            yield {"url": f"http://127.0.0.1:{settings.gateway_port}", "settings": settings, "processes": processes,
                   "log": log_path, "twilio": twilio, "smtp": smtp, "webhook": hook}
    finally:
        twilio.close()
        smtp.stop()
        hook.stop()


def restart_actions(stack: dict[str, Any]) -> None:
    """Start the action server again after a test stopped it, and wait until all is healthy."""
    with stack["log"].open("ab") as log:
        stack["processes"][0] = runner.start_actions(stack["settings"], log)
    deadline = time.monotonic() + START_TIMEOUT
    while not runner.healthy(stack["settings"]):
        assert time.monotonic() < deadline, "the action server did not come back"
        time.sleep(0.5)
