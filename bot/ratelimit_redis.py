"""The report rate limits shared by every action server: sliding windows in Redis.

Several action servers (scaled mode) must count one sender's reports together, so the
windows live in Redis sorted sets. One Lua script checks both limits and counts the report
atomically: concurrent reports from many processes never get past a limit.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

from bot.ratelimit import Decision

__all__ = ["RedisRateLimiter"]

# KEYS: sender window, overall window. ARGV: now, sender limit, sender window, overall limit,
# overall window, a unique member. Returns {allowed, reason, retry_after * 1000}.
_SCRIPT = """
local now = tonumber(ARGV[1])
local function oldest_wait(key, limit, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) < limit then return nil end
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(first[2]) + window - now
end
local sender_wait = oldest_wait(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
local overall_wait = oldest_wait(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))
if sender_wait or overall_wait then
  local wait = math.max(sender_wait or 0, overall_wait or 0)
  return {0, sender_wait and 'sender' or 'overall', math.floor(wait * 1000)}
end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('ZADD', KEYS[2], now, ARGV[6])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000))
redis.call('PEXPIRE', KEYS[2], math.ceil(tonumber(ARGV[5]) * 1000))
return {1, '', 0}
"""


class RedisRateLimiter:
    """The same limits as `bot.ratelimit.RateLimiter`, kept in Redis for every process."""

    def __init__(self, client: Any, per_sender: tuple[int, float] = (3, 600.0), overall: tuple[int, float] = (60, 60.0),
                 clock: Callable[[], float] = time.time, prefix: str = "kyr311:reports") -> None:
        for name, (limit, window) in (("per_sender", per_sender), ("overall", overall)):
            if limit < 1 or window <= 0:
                raise ValueError(f"{name} must be (reports >= 1, seconds > 0), not {(limit, window)}")
        self._per_sender, self._overall = per_sender, overall
        self._clock = clock
        self._prefix = prefix
        self._script = client.register_script(_SCRIPT)

    def allow(self, sender_key: str) -> Decision:
        """Admit and count one report from `sender_key` (already hashed), or refuse it without counting."""
        keys = [f"{self._prefix}:sender:{sender_key}", f"{self._prefix}:overall"]
        args = [self._clock(), *self._per_sender, *self._overall, secrets.token_hex(8)]
        allowed, reason, wait_ms = self._script(keys=keys, args=args)
        if int(allowed):
            return Decision(True, None, 0.0)
        said = reason.decode() if isinstance(reason, bytes) else str(reason)
        why: Literal["sender", "overall"] = "sender" if said == "sender" else "overall"
        return Decision(False, why, int(wait_ms) / 1000)
