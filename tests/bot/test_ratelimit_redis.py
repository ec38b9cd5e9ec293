"""The shared report limits against a real Redis (make test starts one: scripts/with-redis.sh)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator

import pytest

from bot.ratelimit import RateLimiter
from bot.ratelimit_redis import RedisRateLimiter

URL = os.environ.get("KYR_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="set KYR_TEST_REDIS_URL to a Redis server (make test does)")


@pytest.fixture
def client() -> Iterator[object]:
    import redis

    connection = redis.Redis.from_url(URL)
    yield connection
    connection.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def limiter(client: object, clock: Clock, prefix: str) -> RedisRateLimiter:
    return RedisRateLimiter(client, per_sender=(3, 600.0), overall=(5, 60.0), clock=clock, prefix=prefix)


def test_two_processes_count_one_senders_reports_together(client: object) -> None:
    clock, prefix = Clock(), "t" + secrets.token_hex(4)
    first, second = limiter(client, clock, prefix), limiter(client, clock, prefix)  # two action servers
    assert [first.allow("a").allowed, second.allow("a").allowed, first.allow("a").allowed] == [True] * 3
    refused = second.allow("a")
    assert (refused.allowed, refused.reason, refused.retry_after) == (False, "sender", 600.0)
    assert first.allow("b").allowed  # another sender is not affected


def test_the_overall_limit_and_the_window_slide(client: object) -> None:
    clock, prefix = Clock(), "t" + secrets.token_hex(4)
    shared = limiter(client, clock, prefix)
    assert all(shared.allow(f"s{n}").allowed for n in range(5))
    refused = shared.allow("s9")
    assert (refused.allowed, refused.reason) == (False, "overall")
    clock.now += 61  # the overall window has moved on
    assert shared.allow("s9").allowed


def test_concurrent_reports_never_get_past_the_limit_and_agree_with_the_memory_limiter(client: object) -> None:
    clock, prefix = Clock(), "t" + secrets.token_hex(4)
    shared = limiter(client, clock, prefix)
    admitted: list[bool] = []

    def burst() -> None:
        for _ in range(10):
            admitted.append(shared.allow("same").allowed)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 3
    memory = RateLimiter(per_sender=(3, 600.0), overall=(5, 60.0), clock=clock)
    assert [memory.allow("same").allowed for _ in range(80)].count(True) == 3
