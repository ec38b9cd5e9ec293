"""Scaled mode by settings only: two Rasa instances, trackers and reports in PostgreSQL, locks in Redis.

A second stack (its own ports and a fresh database) runs with KYR_DATABASE_URL and
KYR_REDIS_URL pointing at the throwaway servers `make e2e` starts (scripts/with-postgres.sh,
scripts/with-redis.sh). Skipped where neither is available.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from bot import privacy, runner
from bot.fingerprint import model_path
from bot.reports import ReportStore
from bot.settings import Settings
from connectors.chat import _session_id
from connectors.rasa_client import RasaClient
from tests.conftest import fresh_postgres_database
from tests.e2e.conftest import SECRET, running

pytestmark = pytest.mark.e2e
SERVER = os.environ.get("KYR_TEST_DATABASE_URL", "")
REDIS = os.environ.get("KYR_TEST_REDIS_URL", "")


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not (SERVER and REDIS):
        pytest.skip("needs KYR_TEST_DATABASE_URL and KYR_TEST_REDIS_URL (make e2e starts both)")
    model = model_path(runner.PROJECT_ROOT, runner.MODELS_DIR, runner.rasa_version())
    if not model.exists():
        pytest.skip("no trained model for the current inputs: run 'make train'")
    var = tmp_path_factory.mktemp("scaled")
    with fresh_postgres_database(SERVER, "scaled_") as database:
        settings = Settings.from_env({
            "KYR_SECRET_KEY": SECRET, "KYR_VAR_DIR": str(var), "KYR_RASA_PORT": "16005", "KYR_ACTIONS_PORT": "16055",
            "KYR_GATEWAY_PORT": "19000", "KYR_DATABASE_URL": database, "KYR_REDIS_URL": REDIS, "KYR_RASA_INSTANCES": "2",
            "KYR_RASA_TIMEOUT": "15",  # the web chat may wait as long as Twilio does
        })
        with running(settings, model, var / "services.log") as processes:
            yield {"url": f"http://127.0.0.1:{settings.gateway_port}", "settings": settings, "database": database,
                   "processes": processes}


def _senders(database: str) -> set[str]:
    engine = create_engine(database, future=True)
    with engine.connect() as db:
        senders = {row[0] for row in db.execute(text("SELECT DISTINCT sender_id FROM events"))}
    engine.dispose()
    return senders


def test_conversations_live_in_postgresql_locks_in_redis_and_forgetting_works(scaled) -> None:  # type: ignore[no-untyped-def]
    url, settings = scaled["url"], scaled["settings"]
    locks = redis.Redis.from_url(REDIS)
    before = int(locks.info("stats")["total_commands_processed"])
    token = requests.post(f"{url}/chat/sessions", timeout=10).json()["session"]
    for text_, topic in (("what are my rights if ICE comes to my door", "rights.home_visit"), ("where can I find a lawyer", None)):
        response = requests.post(f"{url}/chat/sessions/{token}/messages", json={"text": text_}, timeout=60)
        assert response.status_code == 200, response.text
        assert topic is None or response.json()["messages"][0]["topic"] == topic
    sender = privacy.conversation_id(SECRET, "web", _session_id(settings, token))
    assert sender in _senders(scaled["database"])
    assert int(locks.info("stats")["total_commands_processed"]) > before + 4  # Rasa took and released its locks there
    assert not (settings.var_dir / "trackers.db").exists()
    assert requests.delete(f"{url}/chat/sessions/{token}", timeout=10).status_code == 204
    assert sender not in _senders(scaled["database"])


def test_a_report_is_stored_in_postgresql(scaled) -> None:  # type: ignore[no-untyped-def]
    url = scaled["url"]
    token = requests.post(f"{url}/chat/sessions", timeout=10).json()["session"]
    texts = ["I want to report ICE agents at a park", "agents are detaining people", "Griffith Park", "/affirm",
             '/affirm{"report_skip": "now"}', '/deny{"report_skip": "yes"}', '/deny{"report_skip": "yes"}', "/deny", "/affirm"]
    for body in texts:
        last = requests.post(f"{url}/chat/sessions/{token}/messages", json={"text": body}, timeout=60).json()["messages"]
    assert last[0]["topic"] == "reports.sent", last
    code = next(w for w in last[0]["text"].replace(".", " ").split() if w.startswith("KYR-"))
    store = ReportStore(scaled["database"], SECRET)
    report = store.get(code)
    store.close()
    assert report is not None and report.facility == "griffith_park" and store.dialect == "postgresql"


def test_a_killed_rasa_instance_is_failed_over_and_conversations_go_on(scaled) -> None:  # type: ignore[no-untyped-def]
    """Four Spanish conversations talk, the Rasa instance that serves some of them is killed
    (SIGKILL, between messages), and all four go on at once: every message is answered, once,
    in Spanish, by the other instance, which reads the same conversations from PostgreSQL."""
    url, settings = scaled["url"], scaled["settings"]
    client = RasaClient(settings.rasa_urls, settings.actions_url, 5)
    tokens = [requests.post(f"{url}/chat/sessions", timeout=10).json()["session"] for _ in range(4)]
    senders = [privacy.conversation_id(SECRET, "web", _session_id(settings, t)) for t in tokens]
    victim_url = client.order(senders[0])[0]
    victim = scaled["processes"][1 + settings.rasa_urls.index(victim_url)]
    before, after = ["hola", "que hago si la migra toca a mi puerta"], ["necesito un abogado", "tengo derecho a no hablar", "gracias"]
    results: dict[int, list[tuple[int, list[str]]]] = {n: [] for n in range(len(tokens))}

    def talk(n: int, texts: list[str]) -> None:
        for text_ in texts:
            response = requests.post(f"{url}/chat/sessions/{tokens[n]}/messages", json={"text": text_}, timeout=60)
            results[n].append((response.status_code, [m["lang"] for m in response.json().get("messages", [])]))

    for n in range(len(tokens)):
        talk(n, before)
    victim.kill()
    assert victim.wait(timeout=10) is not None
    threads = [threading.Thread(target=talk, args=(n, after)) for n in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for n, answers in results.items():
        assert len(answers) == len(before) + len(after), (n, answers)
        assert all(status == 200 and langs and set(langs) == {"es"} for status, langs in answers), (n, answers)
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200  # one instance is enough
