"""Train when needed, then run the action server, Rasa and the gateway together.

`kyr311 run` supervises the three processes: it waits until the gateway's /healthz says
all are up, prints where to chat, purges expired conversations every hour, and on Ctrl-C
(or SIGTERM) stops all three, the gateway first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from bot import languages, retention
from bot.fingerprint import model_path
from bot.settings import PROJECT_ROOT, Settings
from bot.stores import write_endpoints

__all__ = ["ensure_model", "healthy", "run", "service_env", "start_actions", "start_rasa", "start_services", "stop_services"]

MODELS_DIR = PROJECT_ROOT / "models"
PURGE_EVERY_SECONDS = 3600


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def rasa_version() -> str:
    """The installed Rasa version, part of the model's fingerprint."""
    from importlib.metadata import version

    return version("rasa")


def ensure_model(force: bool = False) -> Path:
    """Train the model unless one exists for exactly the current inputs; return its path."""
    target = model_path(PROJECT_ROOT, MODELS_DIR, rasa_version())
    if target.exists() and not force:
        print(f"Model is up to date: {target.relative_to(PROJECT_ROOT)}")
        return target
    print(f"Training {target.name} (the training data or config changed) ...", flush=True)
    started = time.monotonic()
    cmd = [_bin("rasa"), "train", "--fixed-model-name", target.name.removesuffix(".tar.gz"), "--out", str(MODELS_DIR)]
    subprocess.run(cmd, cwd=PROJECT_ROOT, env=service_env(None), check=True)
    for old in MODELS_DIR.glob("kyr311-*.tar.gz"):
        if old != target:
            old.unlink()
    print(f"Trained in {time.monotonic() - started:.0f} s")
    return target


def service_env(settings: Settings | None) -> dict[str, str]:
    """The environment for Rasa and the action server: telemetry off, endpoints filled in."""
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["SANIC_HOST"] = "127.0.0.1"
    if settings is not None:
        env.update(settings.to_env())
        # A conversation's lock (Redis with several instances) outlives a killed instance by
        # this long: short enough that the next message, failed over, is answered in time.
        env["TICKET_LOCK_LIFETIME"] = str(lock_lifetime(settings.rasa_timeout))
        env["KYR_ACTION_ENDPOINT"] = f"{settings.actions_url}/webhook"
        env["KYR_TRACKER_DB"] = str(settings.tracker_db)
    else:
        env.setdefault("KYR_ACTION_ENDPOINT", "http://127.0.0.1:5055/webhook")
        env.setdefault("KYR_TRACKER_DB", str(PROJECT_ROOT / "var" / "trackers.db"))
    return env


def lock_lifetime(rasa_timeout: float) -> int:
    """Seconds a conversation's lock outlives a killed Rasa instance: at most 5, and well under
    the gateway's timeout, so the failed-over message still has time to be answered.

    >>> lock_lifetime(10), lock_lifetime(15), lock_lifetime(3)
    (4, 5, 2)
    """
    return max(2, min(5, int(rasa_timeout * 0.4)))


def healthy(settings: Settings) -> bool:
    """The gateway says ok, and every Rasa instance answers (the gateway needs only one)."""
    url = f"http://{settings.gateway_host}:{settings.gateway_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if json.load(response).get("status") != "ok":
                return False
        for rasa in settings.rasa_urls:
            with urllib.request.urlopen(f"{rasa}/", timeout=2) as response:
                response.read()
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


# One message in each kind of script (the first of each loads segmenters and language models,
# which takes seconds) and one that looks up help near a ZIP code (loads the directory and
# the ZIP code table). A resident must not wait for that, so the runner sends these before it
# says Ready.
WARM_UP = (*languages.SAMPLES, "free legal help near 90012")
WARM_UP_SENDER = "kyr311-warm-up"


def warm_up(settings: Settings, timeout: float = 120.0) -> bool:
    """Send the warm-up messages straight to each Rasa instance; True when every one was answered."""
    ok = True
    for url in settings.rasa_urls:
        for text in WARM_UP:
            body = json.dumps({"sender": WARM_UP_SENDER, "message": text, "metadata": {"channel": "web"}}).encode()
            request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    ok &= bool(json.load(response))
            except (urllib.error.URLError, OSError, ValueError):
                ok = False
    retention.forget(settings.tracker_url, WARM_UP_SENDER)
    return ok


def _actions_command(settings: Settings) -> list[str]:
    return [_bin("python"), "-m", "rasa_sdk", "--actions", "actions", "-p", str(settings.actions_port)]


def start_actions(settings: Settings, log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """Start the action server alone (again, after it stopped)."""
    return subprocess.Popen(_actions_command(settings), cwd=PROJECT_ROOT, env=service_env(settings), stdout=log, stderr=log)


def _rasa_command(settings: Settings, model: Path, instance: int, endpoints: Path) -> list[str]:
    return [_bin("rasa"), "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(settings.rasa_port + instance),
            "--endpoints", str(endpoints), "--credentials", "credentials.yml"]


def start_rasa(settings: Settings, model: Path, instance: int, log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """Start one Rasa instance (again, after it stopped): number `instance` of settings.rasa_urls."""
    return subprocess.Popen(_rasa_command(settings, model, instance, write_endpoints(settings)), cwd=PROJECT_ROOT,
                            env=service_env(settings), stdout=log, stderr=log)


def start_services(settings: Settings, model: Path, log: IO[bytes] | None = None) -> list[subprocess.Popen[bytes]]:
    """Start the action server, each Rasa instance and the gateway; `log` receives their output.

    Returns [actions, rasa (one per instance, consecutive ports), gateway].
    """
    env = service_env(settings)
    endpoints = write_endpoints(settings)
    rasa = [_rasa_command(settings, model, n, endpoints) for n in range(settings.rasa_instances)]
    gateway = [
        _bin("waitress-serve"), "--host", settings.gateway_host, "--port", str(settings.gateway_port),
        "--threads", "16", "--call", "connectors.app:create_app",
    ]
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    commands = [_actions_command(settings), *rasa, gateway]
    return [subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log) for cmd in commands]


def stop_services(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 15
    for process in reversed(processes):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def run(settings: Settings, demo: bool) -> int:
    """Start everything and block until Ctrl-C or a process dies; return an exit code."""
    if demo:
        print("=" * 72 + "\nLOCAL DEMO MODE: made a local secret key in var/ because KYR_SECRET_KEY is not set."
              "\nDo not use demo mode for real residents.\n" + "=" * 72, flush=True)
    model = ensure_model()
    retention.purge_all(settings.tracker_url, settings.gateway_url, settings.secret_key, settings.retention_days)
    processes = start_services(settings, model)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    announced, last_purge = False, time.monotonic()
    try:
        while not stopping:
            if any(p.poll() is not None for p in processes):
                print("A service stopped unexpectedly; stopping the others.", file=sys.stderr)
                return 1
            if not announced and healthy(settings):
                warm_up(settings)
                base = f"http://{settings.gateway_host}:{settings.gateway_port}"
                print(f"\nReady. Chat in a browser at {base}/ , in a terminal with 'make chat',"
                      f"\nor through the API: curl -X POST {base}/chat/sessions\nPress Ctrl-C to stop.\n", flush=True)
                announced = True
            if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                retention.purge_all(settings.tracker_url, settings.gateway_url, settings.secret_key, settings.retention_days)
                last_purge = time.monotonic()
            time.sleep(0.5)
        return 0
    finally:
        print("Stopping ...", flush=True)
        stop_services(processes)
