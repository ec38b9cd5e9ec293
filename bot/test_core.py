"""Privacy hashing, SMS segments, the model fingerprint, retention and settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import privacy, sms
from bot.fingerprint import fingerprint
from bot.settings import PROJECT_ROOT, Settings, SettingsError


def test_conversation_ids_are_keyed_and_never_contain_the_number() -> None:
    a = privacy.conversation_id("k" * 32, "sms", "+12135550100")
    assert a != privacy.conversation_id("j" * 32, "sms", "+12135550100")
    assert "2135550100" not in a and len(a) == 32


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [("a" * 160, "GSM-7", 1), ("a" * 161, "GSM-7", 2), ("{" * 80, "GSM-7", 1), ("{" * 81, "GSM-7", 2),
     ("ñ" * 160, "GSM-7", 1), ("á" * 70, "UCS-2", 1), ("á" * 71, "UCS-2", 2), ("😀" * 35, "UCS-2", 1), ("😀" * 36, "UCS-2", 2),
     ("سلام" * 20, "UCS-2", 2)],
)
def test_sms_segments_follow_the_encoding(text: str, encoding: str, count: int) -> None:
    assert sms.encoding(text) == encoding and sms.segments(text) == count


def test_fingerprint_changes_only_with_training_inputs(tmp_path: Path) -> None:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", tmp_path / "data" / "nlu")
    before = fingerprint(tmp_path, "3.6.21")
    assert fingerprint(tmp_path, "3.6.21") == before
    (tmp_path / "README.md").write_text("not a training input")
    assert fingerprint(tmp_path, "3.6.21") == before
    with (tmp_path / "data" / "nlu" / "en" / "urgent.yml").open("a") as handle:
        handle.write("    - they are at the door now\n")
    assert fingerprint(tmp_path, "3.6.21") != before
    assert fingerprint(tmp_path, "3.6.22") != fingerprint(tmp_path, "3.6.21")


def test_missing_secret_fails_fast_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="KYR_SECRET_KEY is not set"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="KYR_SECRET_KEY is too short"):
        Settings.from_env({"KYR_SECRET_KEY": "short"})


def test_demo_mode_makes_and_keeps_a_local_secret(tmp_path: Path) -> None:
    first = Settings.from_env({"KYR_VAR_DIR": str(tmp_path)}, demo=True)
    second = Settings.from_env({"KYR_VAR_DIR": str(tmp_path)}, demo=True)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("name", "value"), [("KYR_RASA_TIMEOUT", "soon"), ("KYR_RETENTION_DAYS", "0"), ("KYR_GATEWAY_PORT", "99999")])
def test_bad_numbers_are_refused_with_the_variable_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"KYR_SECRET_KEY": "k" * 32, name: value})
