"""A fingerprint of everything the model is trained from, so an unchanged tree never retrains."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["TRAINING_INPUTS", "fingerprint", "model_path"]

# The tokenizer is code the model is trained with: a change to it retrains too.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/rules", "data/stories", "kyr311_nlu.py", "bot/segment.py")


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.yml")) if p.is_file())
    return found


def fingerprint(root: Path, extra: str = "") -> str:
    """A short hash of the training inputs under `root` (names and bytes), and `extra`."""
    digest = hashlib.sha256(extra.encode())
    for path in _files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path, models_dir: Path, extra: str = "") -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    return models_dir / f"kyr311-{fingerprint(root, extra)}.tar.gz"
