"""The API's throttles count requests in two windows instead of logging each request's time."""

import random
import uuid

import pytest
from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from core_banking.common.api.throttling import UserRateThrottle, _backend, counters, retry_after, window_keys

CACHES = {
    "redis": lambda: caches["default"],  # Redis under the test settings
    "proxy": lambda: default_cache,  # django.core.cache.cache, as DRF's throttles hold it
    "locmem": lambda: LocMemCache(f"throttle-{uuid.uuid4()}", {}),
}


def throttle(cache, clock, rate="3/minute"):
    key = f"throttle-test-{uuid.uuid4()}"

    class Throttle(UserRateThrottle):
        scope = "test"
        THROTTLE_RATES = {"test": rate}
        timer = staticmethod(lambda: clock[0])

        def get_cache_key(self, request, view):
            return key

    Throttle.cache = cache
    return Throttle


@pytest.mark.parametrize("kind", CACHES)
def test_the_last_period_is_estimated_from_two_windows(kind, monkeypatch):
    cache = CACHES[kind]()
    if kind != "locmem":
        assert isinstance(_backend(cache), RedisCache)
        # one round trip: counted by the pipeline, not by the cache's add/incr/get
        monkeypatch.setattr(RedisCache, "incr", lambda *a, **k: pytest.fail("not one round trip"))
    start = 1_000_000 * 60.0  # the start of a window
    clock = [start + 1]
    cls = throttle(cache, clock)
    assert [cls().allow_request(None, None) for _ in range(3)] == [True, True, True]
    refused = cls()
    assert refused.allow_request(None, None) is False
    assert 1 <= refused.wait() <= 2 * 60  # the estimate: 20 s into the next window here
    # a refused request is not counted
    current, _previous = window_keys(refused.key, clock[0], 60)
    assert int(cache.get(current)) == 3
    # half-way through the next window, half of the previous window's 3 still counts: room for 1
    clock[0] = start + 90
    assert [cls().allow_request(None, None) for _ in range(2)] == [True, False]
    # a window later, the 3 have left the period entirely
    clock[0] = start + 180
    assert [cls().allow_request(None, None) for _ in range(4)] == [True, True, True, False]


def _estimate(count, before, offset, duration):
    return count + before * (1 - offset / duration)


def test_retry_after_is_when_one_more_request_fits():
    rng = random.Random(7)
    duration = 60
    for _ in range(2000):
        limit = rng.randint(1, 20)
        before = rng.randint(0, 30)
        offset = rng.uniform(0, duration - 1e-6)
        count = rng.randint(0, limit)
        if _estimate(count + 1, before, offset, duration) <= limit:
            continue  # not refused
        wait = retry_after(count, before, offset, duration, limit)
        later = offset + wait + 1e-6
        if later < duration:
            assert _estimate(count + 1, before, later, duration) <= limit + 1e-9
        else:  # the next window: this window's count is the previous one
            assert _estimate(1, count, later - duration, duration) <= limit + 1e-9
        if wait > 1:
            earlier = offset + wait - 1
            if earlier < duration:
                assert _estimate(count + 1, before, earlier, duration) > limit
            else:
                assert _estimate(1, count, earlier - duration, duration) > limit


@pytest.mark.parametrize("kind", CACHES)
def test_counters_read_what_the_cache_counted_and_zero_for_the_missing(kind):
    cache = CACHES[kind]()
    first, second, missing = (f"counter-test-{uuid.uuid4()}" for _ in range(3))
    cache.add(first, 1, 60)
    cache.incr(first)
    cache.add(second, 7, 60)
    assert counters(cache, [first, missing, second]) == [2, 0, 7]


def test_the_redis_client_is_made_once_per_connection_pool():
    from core_banking.common.api import throttling

    cache = _backend(caches["default"])
    assert isinstance(cache, RedisCache)
    assert throttling._client(cache) is throttling._client(cache)
    assert throttling._client(cache).connection_pool is cache._cache._get_connection_pool(False)
    assert throttling._client(cache, write=True).connection_pool is cache._cache._get_connection_pool(True)
