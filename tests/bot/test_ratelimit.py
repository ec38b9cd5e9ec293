"""The report rate limiter: per sender, overall, sliding windows, threads and bounded memory."""

from __future__ import annotations

import threading

import pytest

from bot.ratelimit import Decision, RateLimiter


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_sender_gets_three_reports_in_ten_minutes_then_is_refused(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(3, 600), overall=(60, 60), clock=clock)
    for _ in range(3):
        assert limiter.allow("sender-a") == Decision(True, None, 0.0)
        clock.now += 10
    assert limiter.allow("sender-a") == Decision(False, "sender", 570.0)  # the first report leaves the window at +600


def test_other_senders_are_unaffected_by_one_senders_limit(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(3, 600), overall=(60, 60), clock=clock)
    for _ in range(3):
        limiter.allow("busy")
    assert not limiter.allow("busy").allowed
    assert limiter.allow("quiet").allowed and limiter.allow("other").allowed


def test_overall_limit_refuses_every_sender_until_its_window_slides(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(3, 600), overall=(5, 60), clock=clock)
    for n in range(5):
        assert limiter.allow(f"sender-{n}").allowed
        clock.now += 1
    assert limiter.allow("newcomer") == Decision(False, "overall", 55.0)
    clock.now += 55
    assert limiter.allow("newcomer").allowed
    assert not limiter.allow("another").allowed  # the second of the five is still inside the minute


def test_window_slides_one_report_at_a_time(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(3, 600), overall=(60, 60), clock=clock)
    start = clock.now
    for offset in (0, 100, 200):
        clock.now = start + offset
        assert limiter.allow("s").allowed
    clock.now = start + 599
    assert limiter.allow("s").retry_after == pytest.approx(1.0)
    clock.now = start + 600  # the report at +0 has left the window: one slot, no more
    assert limiter.allow("s").allowed
    assert limiter.allow("s") == Decision(False, "sender", 100.0)


def test_refused_attempts_are_not_counted_and_do_not_extend_the_wait(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(1, 60), overall=(60, 60), clock=clock)
    assert limiter.allow("s").allowed
    for _ in range(10):
        clock.now += 5
        assert not limiter.allow("s").allowed
    clock.now += 10  # 60 s after the only admitted report
    assert limiter.allow("s").allowed


def test_when_both_limits_are_full_the_sender_is_named_and_the_longer_wait_given(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(1, 600), overall=(1, 60), clock=clock)
    assert limiter.allow("s").allowed
    assert limiter.allow("s") == Decision(False, "sender", 600.0)


def test_concurrent_threads_never_admit_more_than_the_limits() -> None:
    limiter = RateLimiter(per_sender=(3, 600), overall=(60, 60))
    barrier = threading.Barrier(32)
    same: list[bool] = []
    many: list[bool] = []

    def hammer(n: int) -> None:
        barrier.wait()
        for i in range(20):
            same.append(limiter.allow("one-sender").allowed)
            many.append(limiter.allow(f"sender-{n}-{i}").allowed)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert same.count(True) == 3
    assert same.count(True) + many.count(True) == 60  # the overall limit counts both


def test_memory_stays_bounded_by_max_senders_and_expired_senders_are_forgotten(clock: Clock) -> None:
    limiter = RateLimiter(per_sender=(3, 600), overall=(10_000, 60), clock=clock, max_senders=100)
    for n in range(1000):
        limiter.allow(f"sender-{n}")
    assert len(limiter) == 100
    assert limiter.allow("sender-999").allowed  # the most recent senders are the ones kept
    clock.now += 601
    limiter.allow("latecomer")
    assert len(limiter) == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="per_sender"):
        RateLimiter(per_sender=(0, 600))
    with pytest.raises(ValueError, match="overall"):
        RateLimiter(overall=(60, 0))
    with pytest.raises(ValueError, match="max_senders"):
        RateLimiter(max_senders=0)
