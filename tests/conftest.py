"""Shared fixtures: settings on a temporary folder, and a real HTTP stand-in for Rasa."""

from __future__ import annotations

import contextlib
import email
import json
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.settings import PROJECT_ROOT, Settings

SECRET = "test-secret-" + "x" * 40


@pytest.fixture
def content_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the shipped locales and directory that a test may break."""
    locales = tmp_path / "locales"
    directory = tmp_path / "directory"
    shutil.copytree(PROJECT_ROOT / "locales", locales)
    shutil.copytree(PROJECT_ROOT / "data" / "directory", directory)
    return locales, directory


class FakeRasa:
    """A real HTTP server on loopback that answers like Rasa's REST channel and action server."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: list[dict[str, Any]] = [{"recipient_id": "x", "custom": {"text": "hi", "lang": "en", "topic": "conversation.greet"}}]
        self.delay = 0.0
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send(200, {"status": "ok"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                time.sleep(fake.delay)
                self._send(fake.status, fake.reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    yield fake
    fake.close()


@pytest.fixture
def settings(tmp_path: Path, fake_rasa: FakeRasa) -> Settings:
    base = Settings.from_env({"KYR_SECRET_KEY": SECRET, "KYR_VAR_DIR": str(tmp_path / "var")})
    return replace(base, rasa_url=fake_rasa.url, actions_url=fake_rasa.url, rasa_timeout=1.0)


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from connectors.app import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


class FakeTwilio:
    """A real HTTP server on loopback standing in for Twilio's REST API: records each text sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.status = 201
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                from urllib.parse import parse_qs

                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                if fake.status == 201:
                    fake.sent.append({k: v[0] for k, v in form.items()} | {"path": self.path})
                body = json.dumps({"sid": f"SM{len(fake.sent):032d}", "status": "queued"} if fake.status == 201
                                  else {"code": 20500, "message": "down", "status": fake.status}).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.sent

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    yield fake
    fake.close()


TWILIO_TOKEN = "twilio-auth-token-" + "t" * 14
PUBLIC_URL = "https://kyr311.example.org"


@pytest.fixture
def twilio_settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    """Settings for the Twilio gateway behind a TLS proxy, with a short time budget."""
    return replace(settings, twilio_auth_token=TWILIO_TOKEN, twilio_account_sid="AC" + "0" * 32,
                   twilio_api_url=fake_twilio.url, public_url=PUBLIC_URL, sms_reply_budget=0.5, rasa_timeout=1.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback that records each message; can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], Message]] = []
        self.controller: Controller | None = None
        self.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Webhook:
    """A real HTTP receiver on loopback that records every POST; answers `status`; can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[tuple[dict[str, str], bytes, int]] = []  # headers, body, the status answered
        self.status = 200
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, status in self.received if status == 200]

    def start(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = hook.status
                hook.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _postgres(server: str, sql: str) -> None:
    import psycopg2  # only with a server to talk to

    admin = psycopg2.connect(server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql)
    finally:
        admin.close()


@contextlib.contextmanager
def fresh_postgres_database(server: str, prefix: str = "t_") -> Iterator[str]:
    """Create an empty database on the PostgreSQL `server` (a URL); drop it afterwards."""
    name = prefix + secrets.token_hex(6)
    _postgres(server, f"CREATE DATABASE {name}")
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        _postgres(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # a new connection: the server may have restarted


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite, and PostgreSQL when KYR_TEST_DATABASE_URL names a server
    (`make test` starts one: scripts/with-postgres.sh)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reports.db'}"
        return
    server = os.environ.get("KYR_TEST_DATABASE_URL")
    if not server:
        pytest.skip("set KYR_TEST_DATABASE_URL to a PostgreSQL server (make test does)")
    with fresh_postgres_database(server) as url:
        yield url
