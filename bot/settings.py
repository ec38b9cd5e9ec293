"""Typed settings, read once from the environment at start-up.

>>> s = Settings.from_env({"KYR_SECRET_KEY": "k" * 32})
>>> s.rasa_url, s.retention_days
('http://127.0.0.1:5005', 30)
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROJECT_ROOT", "Settings", "SettingsError", "demo_secret"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable and the fix."""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be above 0, got {value}")
    return value


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Web origins such as https://www.lacity.gov, comma-separated."""
    origins = tuple(o.strip().rstrip("/") for o in env.get(name, "").split(",") if o.strip())
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
            raise SettingsError(f"{name}: {origin!r} is not a web origin: write it like https://www.lacity.gov (no path)")
    return origins


def _redis(env: Mapping[str, str], name: str) -> str:
    url = env.get(name, "").strip()
    if url and not re.fullmatch(r"rediss?://[^\s/]*(/[0-9]{1,2})?", url):
        raise SettingsError(f"{name}: write it like redis://127.0.0.1:6379/0, got {url!r}")
    return url


def _instances(env: Mapping[str, str]) -> int:
    count = _int(env, "KYR_RASA_INSTANCES", 1, 1, 16)
    if count > 1 and not (env.get("KYR_REDIS_URL", "").strip() and env.get("KYR_DATABASE_URL", "").strip()):
        raise SettingsError("KYR_RASA_INSTANCES above 1 needs a shared tracker store and lock store: "
                            "set KYR_DATABASE_URL (PostgreSQL) and KYR_REDIS_URL")
    return count


def demo_secret(path: Path) -> str:
    """Return the local demo secret kept in `path`, creating it on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the gateway, the actions and the CLI need to know about their setting."""

    secret_key: str
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    rasa_timeout: float = 10.0
    retention_days: int = 30
    session_max_age: int = 24 * 3600
    max_message_chars: int = 1600
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    sms_reply_budget: float = 10.0
    sms_max_segments: int = 5
    locales_dir: Path = PROJECT_ROOT / "locales"
    directory_dir: Path = PROJECT_ROOT / "data" / "directory"
    nlu_dir: Path = PROJECT_ROOT / "data" / "nlu"
    var_dir: Path = PROJECT_ROOT / "var"
    widget_origins: tuple[str, ...] = ()
    delivery_config: Path | None = None
    redis_url: str = ""
    rasa_instances: int = 1

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """Every Rasa instance the gateway spreads conversations over (consecutive ports)."""
        if self.rasa_instances == 1:
            return (self.rasa_url,)
        return tuple(f"http://127.0.0.1:{self.rasa_port + n}" for n in range(self.rasa_instances))

    @property
    def gateway_db(self) -> Path:
        """The SQLite file of the gateway's own state on the embedded default (see bot.gateway_store)."""
        return self.var_dir / "gateway.db"

    @property
    def gateway_url(self) -> str:
        """The gateway's own state (shared by every gateway process): KYR_DATABASE_URL, else SQLite in var/."""
        return self.database_url or f"sqlite:///{self.gateway_db}"

    @property
    def reports_url(self) -> str:
        """The reports database (shared with liaison accounts): KYR_DATABASE_URL, else SQLite in var/."""
        return self.database_url or f"sqlite:///{self.var_dir / 'reports.db'}"

    @property
    def tracker_url(self) -> str:
        """Rasa's tracker store as a SQLAlchemy URL: KYR_DATABASE_URL, else SQLite in var/."""
        return self.database_url or f"sqlite:///{self.tracker_db}"

    @property
    def tracker_db(self) -> Path:
        """The SQLite file of Rasa's tracker store on the embedded default."""
        return self.var_dir / "trackers.db"

    def to_env(self) -> dict[str, str]:
        """The variables that rebuild these settings in a child process (see `from_env`)."""
        return {
            "KYR_SECRET_KEY": self.secret_key,
            "KYR_RASA_URL": self.rasa_url,
            "KYR_ACTIONS_URL": self.actions_url,
            "KYR_RASA_PORT": str(self.rasa_port),
            "KYR_ACTIONS_PORT": str(self.actions_port),
            "KYR_GATEWAY_HOST": self.gateway_host,
            "KYR_GATEWAY_PORT": str(self.gateway_port),
            "KYR_RASA_TIMEOUT": str(self.rasa_timeout),
            "KYR_RETENTION_DAYS": str(self.retention_days),
            "KYR_SESSION_MAX_AGE": str(self.session_max_age),
            "KYR_MAX_MESSAGE_CHARS": str(self.max_message_chars),
            "KYR_DATABASE_URL": self.database_url,
            "KYR_PUBLIC_URL": self.public_url,
            "KYR_TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "KYR_TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "KYR_TWILIO_API_URL": self.twilio_api_url,
            "KYR_SMS_REPLY_BUDGET": str(self.sms_reply_budget),
            "KYR_SMS_MAX_SEGMENTS": str(self.sms_max_segments),
            "KYR_LOCALES_DIR": str(self.locales_dir),
            "KYR_DIRECTORY_DIR": str(self.directory_dir),
            "KYR_NLU_DIR": str(self.nlu_dir),
            "KYR_VAR_DIR": str(self.var_dir),
            "KYR_WIDGET_ORIGINS": ",".join(self.widget_origins),
            "KYR_DELIVERY_CONFIG": str(self.delivery_config or ""),
            "KYR_REDIS_URL": self.redis_url,
            "KYR_RASA_INSTANCES": str(self.rasa_instances),
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
        """Build settings from `env` (default: os.environ); fail fast on a missing secret.

        With `demo`, a missing KYR_SECRET_KEY is replaced by a local one kept in var/.
        """
        env = os.environ if env is None else env
        var_dir = Path(env.get("KYR_VAR_DIR", "") or PROJECT_ROOT / "var")
        secret = env.get("KYR_SECRET_KEY", "").strip()
        if not secret and demo:
            secret = demo_secret(var_dir / "demo-secret-key")
        if not secret:
            raise SettingsError(
                "KYR_SECRET_KEY is not set: set it to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(f"KYR_SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} characters")
        rasa_port = _int(env, "KYR_RASA_PORT", 5005, 1, 65535)
        actions_port = _int(env, "KYR_ACTIONS_PORT", 5055, 1, 65535)
        return cls(
            secret_key=secret,
            rasa_url=env.get("KYR_RASA_URL", "") or f"http://127.0.0.1:{rasa_port}",
            actions_url=env.get("KYR_ACTIONS_URL", "") or f"http://127.0.0.1:{actions_port}",
            gateway_host=env.get("KYR_GATEWAY_HOST", "") or "127.0.0.1",
            gateway_port=_int(env, "KYR_GATEWAY_PORT", 8000, 1, 65535),
            rasa_port=rasa_port,
            actions_port=actions_port,
            rasa_timeout=_float(env, "KYR_RASA_TIMEOUT", 10.0),
            retention_days=_int(env, "KYR_RETENTION_DAYS", 30, 1, 3650),
            session_max_age=_int(env, "KYR_SESSION_MAX_AGE", 24 * 3600, 60, 30 * 24 * 3600),
            max_message_chars=_int(env, "KYR_MAX_MESSAGE_CHARS", 1600, 10, 100_000),
            database_url=env.get("KYR_DATABASE_URL", ""),
            public_url=(env.get("KYR_PUBLIC_URL", "") or f"http://127.0.0.1:{_int(env, 'KYR_GATEWAY_PORT', 8000, 1, 65535)}").rstrip("/"),
            twilio_account_sid=env.get("KYR_TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("KYR_TWILIO_AUTH_TOKEN", ""),
            twilio_api_url=env.get("KYR_TWILIO_API_URL", "") or "https://api.twilio.com",
            sms_reply_budget=_float(env, "KYR_SMS_REPLY_BUDGET", 10.0),
            sms_max_segments=_int(env, "KYR_SMS_MAX_SEGMENTS", 5, 1, 10),
            locales_dir=Path(env.get("KYR_LOCALES_DIR", "") or PROJECT_ROOT / "locales"),
            directory_dir=Path(env.get("KYR_DIRECTORY_DIR", "") or PROJECT_ROOT / "data" / "directory"),
            nlu_dir=Path(env.get("KYR_NLU_DIR", "") or PROJECT_ROOT / "data" / "nlu"),
            var_dir=var_dir,
            widget_origins=_origins(env, "KYR_WIDGET_ORIGINS"),
            delivery_config=Path(env["KYR_DELIVERY_CONFIG"]) if env.get("KYR_DELIVERY_CONFIG", "").strip() else None,
            redis_url=_redis(env, "KYR_REDIS_URL"),
            rasa_instances=_instances(env),
        )
