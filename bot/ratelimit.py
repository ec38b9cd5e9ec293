"""Limit how many reports are taken: per sender, and overall, in sliding windows.

A flood of reports (one sender, or many at once, as when someone urges the public to flood
a hotline with false tips) must not bury the liaisons. `RateLimiter` keeps, in memory, the
times of the reports it admitted in the last window: at most `per_sender[0]` per sender
and `overall[0]` in all. A refused attempt is not counted, so retrying does not push the
wait further out. Senders whose window has passed are forgotten, and at most `max_senders`
are kept (the least recently admitted go first; the overall limit still holds for them).

Sender keys come already hashed from the caller (the gateway's keyed hash): this module
never sees a phone number, and it logs nothing. One process only; past one machine a
Redis-backed class with the same `allow()` can take its place (`ReportLimiter`).

>>> now = [0.0]
>>> limiter = RateLimiter(per_sender=(2, 60), overall=(100, 60), clock=lambda: now[0])
>>> [limiter.allow("a").allowed for _ in range(3)]
[True, True, False]
>>> limiter.allow("a")
Decision(allowed=False, reason='sender', retry_after=60.0)
>>> now[0] = 60.0
>>> limiter.allow("a").allowed
True
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["Decision", "RateLimiter", "ReportLimiter"]


@dataclass(frozen=True)
class Decision:
    """Whether a report may be taken now; if not, which limit refused it and how many seconds to wait."""

    allowed: bool
    reason: Literal["sender", "overall"] | None
    retry_after: float


class ReportLimiter(Protocol):
    """What the report flow needs of a limiter (this module's in-memory one, or a shared one later)."""

    def allow(self, sender_key: str) -> Decision:
        """Admit and count one report from `sender_key` (already hashed), or refuse it."""
        ...


class RateLimiter:
    """A thread-safe sliding-window limiter, per sender and overall, held in memory."""

    def __init__(
        self,
        per_sender: tuple[int, float] = (3, 600.0),
        overall: tuple[int, float] = (60, 60.0),
        clock: Callable[[], float] = time.monotonic,
        max_senders: int = 100_000,
    ) -> None:
        for name, (limit, window) in (("per_sender", per_sender), ("overall", overall)):
            if limit < 1 or window <= 0:
                raise ValueError(f"{name} must be (reports >= 1, seconds > 0), not {(limit, window)}")
        if max_senders < 1:
            raise ValueError(f"max_senders must be at least 1, not {max_senders}")
        self._sender_limit, self._sender_window = per_sender
        self._overall_limit, self._overall_window = overall
        self._clock = clock
        self._max_senders = max_senders
        self._lock = threading.Lock()
        self._overall: deque[float] = deque()
        # sender -> times of admitted reports; ordered by the latest admission, oldest first
        self._senders: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many senders are remembered (for tests and metrics)."""
        with self._lock:
            return len(self._senders)

    def allow(self, sender_key: str) -> Decision:
        """Admit and count one report from `sender_key`, or refuse it without counting."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            times = self._senders.get(sender_key, deque())
            while times and times[0] <= now - self._sender_window:
                times.popleft()
            waits = {}
            if len(times) >= self._sender_limit:
                waits["sender"] = times[0] + self._sender_window - now
            if len(self._overall) >= self._overall_limit:
                waits["overall"] = self._overall[0] + self._overall_window - now
            if waits:
                reason: Literal["sender", "overall"] = "sender" if "sender" in waits else "overall"
                return Decision(False, reason, max(0.0, *waits.values()))
            times.append(now)
            self._overall.append(now)
            self._senders[sender_key] = times
            self._senders.move_to_end(sender_key)
            while len(self._senders) > self._max_senders:
                self._senders.popitem(last=False)
            return Decision(True, None, 0.0)

    def _forget(self, now: float) -> None:
        """Drop admissions older than their window, and senders with none left."""
        while self._overall and self._overall[0] <= now - self._overall_window:
            self._overall.popleft()
        while self._senders:
            oldest_key, oldest = next(iter(self._senders.items()))
            if oldest and oldest[-1] > now - self._sender_window:
                break  # ordered by latest admission: every later sender is recent too
            del self._senders[oldest_key]
