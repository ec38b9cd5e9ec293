"""Rasa's endpoints from the settings: the embedded default, PostgreSQL and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.settings import Settings, SettingsError
from bot.stores import TRACKER_STORE, endpoints, write_endpoints


def test_the_embedded_default_is_sqlite_in_var_and_in_memory_locks(tmp_path: Path) -> None:
    settings = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_VAR_DIR": str(tmp_path)})
    path = write_endpoints(settings)
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written == endpoints(settings)
    assert written["tracker_store"] == {"type": TRACKER_STORE, "dialect": "sqlite", "db": str(tmp_path / "trackers.db")}
    assert written["lock_store"] == {"type": "in_memory"}
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert path.stat().st_mode & 0o077 == 0  # it may hold a database password
    assert settings.tracker_url == f"sqlite:///{tmp_path / 'trackers.db'}"


def test_postgresql_and_redis_with_passwords(tmp_path: Path) -> None:
    settings = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_VAR_DIR": str(tmp_path),
                                  "KYR_DATABASE_URL": "postgresql://kyr311:p%40ss@db.internal/kyr311",
                                  "KYR_REDIS_URL": "rediss://:secret@cache.internal:6380/1"})
    written = endpoints(settings)
    assert written["tracker_store"] == {"type": TRACKER_STORE, "dialect": "postgresql", "url": "db.internal", "port": 5432,
                                        "db": "kyr311", "username": "kyr311", "password": "p@ss"}
    assert written["lock_store"] == {"type": "redis", "url": "cache.internal", "port": 6380, "db": 1, "key_prefix": "kyr311",
                                     "use_ssl": True, "password": "secret"}
    assert settings.tracker_url == settings.reports_url == "postgresql://kyr311:p%40ss@db.internal/kyr311"


def test_a_tracker_store_on_another_database_kind_is_refused(tmp_path: Path) -> None:
    settings = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_DATABASE_URL": "mysql://x@db/kyr311"})
    with pytest.raises(SettingsError, match="KYR_DATABASE_URL"):
        endpoints(settings)


@pytest.mark.parametrize("value", ["127.0.0.1:6379", "http://cache:6379", "redis://cache:6379/db"])
def test_a_malformed_redis_url_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="KYR_REDIS_URL"):
        Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_REDIS_URL": value})


def test_several_rasa_instances_need_postgresql_and_redis_and_use_consecutive_ports() -> None:
    with pytest.raises(SettingsError, match="KYR_RASA_INSTANCES"):
        Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_RASA_INSTANCES": "2"})
    settings = Settings.from_env({"KYR_SECRET_KEY": "k" * 32, "KYR_RASA_INSTANCES": "3", "KYR_RASA_PORT": "6005",
                                  "KYR_DATABASE_URL": "postgresql://db/kyr311", "KYR_REDIS_URL": "redis://cache:6379/0"})
    assert settings.rasa_urls == ("http://127.0.0.1:6005", "http://127.0.0.1:6006", "http://127.0.0.1:6007")
    assert Settings.from_env(settings.to_env()).rasa_urls == settings.rasa_urls
