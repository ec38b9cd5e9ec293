"""Serve the content catalog and pick up saved edits without a restart.

Each `get()` compares the modification times of the content files with the last load (a
few `stat` calls). A changed file is reloaded; an edit that fails validation is refused
with one log line, and the last good catalog keeps serving.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.content import Catalog, ContentError, load_catalog

__all__ = ["ContentStore"]

log = logging.getLogger(__name__)


class ContentStore:
    """A hot-reloading holder of the validated `Catalog`."""

    def __init__(self, locales_dir: Path, directory_dir: Path) -> None:
        self._locales_dir = locales_dir
        self._directory_dir = directory_dir
        self._lock = threading.Lock()
        self._stamp = self._current_stamp()
        self._catalog = load_catalog(locales_dir, directory_dir)

    def _current_stamp(self) -> tuple[tuple[str, int], ...]:
        files = [*sorted(self._locales_dir.glob("*.yml")), self._directory_dir / "contacts.yml"]
        return tuple((str(p), p.stat().st_mtime_ns) for p in files if p.exists())

    def get(self) -> Catalog:
        """The newest valid catalog."""
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return self._catalog
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._catalog = load_catalog(self._locales_dir, self._directory_dir)
                    log.info("content reloaded: %d locales", len(self._catalog.locales))
                except ContentError as exc:
                    log.error("content edit refused, still serving the last good content:\n%s", exc)
        return self._catalog
