"""The API's rate limits: DRF's throttle classes, counting instead of logging (issue 18), and a
separate, configurable rate for the writes that move money (issue 17).

**Counting.** DRF's ``SimpleRateThrottle`` keeps, per client and scope, the list of its request
times within the period, and reads, trims, prepends and writes back the whole list on every
request: at the default ``user`` rate of 6,000 a minute, a busy client's request unpickled and
pickled thousands of timestamps twice, in two cache round trips per throttle, which cost more than
the payment it guarded (``python -m bench --only h``, bench/README.md). ``CountingRateThrottle``
keeps two counters instead, this period's and the previous one's (fixed windows aligned on the
period), and estimates the requests of the last period as a sliding window does: this window's
count plus the previous window's, weighted by the share of it still inside the period. On Redis
it is one round trip (``INCR`` and ``EXPIRE`` of this window's counter, ``GET`` of the previous
one, pipelined); on another cache, the cache's own ``add``/``incr``/``get``. A refused request
is not counted (its increment is taken back), as DRF does not log it; ``Retry-After`` is the time
until the estimate leaves room for one more request.

**Money writes.** ``MoneyWriteThrottle`` (in ``DEFAULT_THROTTLE_CLASSES``) counts only the unsafe
requests (POST, PUT, PATCH, DELETE) to views that declare ``moves_money = True``: posting ledger
entries (one or in bulk), reversals, holds and their posting, payments and their release or
return. It is per client (the authenticated user: an API client's user, or a member of staff), at
the rate ``DEFAULT_THROTTLE_RATES["money"]`` (setting ``API_THROTTLE_MONEY``, default
``1200/minute``), on top of the general ``user`` rate that every request counts against. Over
it: ``429 throttled`` with ``Retry-After``. A bulk request counts once (its size is bounded by the
bulk route).
"""

from __future__ import annotations

import weakref

from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy
from rest_framework import throttling

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def window_keys(key: str, now: float, duration: int) -> tuple[str, str]:
    """The counters of the window holding ``now`` and of the one before it."""
    window = int(now // duration)
    return f"{key}:{window}", f"{key}:{window - 1}"


def _backend(cache):
    """The cache itself behind ``django.core.cache.cache`` (a proxy to the default cache)."""
    return cache._connections[cache._alias] if isinstance(cache, ConnectionProxy) else cache


_CLIENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _client(cache: RedisCache, *, write: bool = False):
    """The redis-py client of ``cache``'s connection pool (the one Django's ``get_client`` would
    use), made once per pool: ``get_client`` makes a new ``redis.Redis`` at every call, whose
    set-up (its response callbacks) cost about as much as the throttle's round trip it was for
    (py-spy on the web workers, ``python -m bench --only h``). A client is thread-safe: each
    command takes a connection from the pool."""
    pool = cache._cache._get_connection_pool(write)
    client = _CLIENTS.get(pool)
    if client is None:
        client = _CLIENTS[pool] = cache._cache._client(connection_pool=pool)
    return client


def counters(cache, keys: list[str]) -> list[int]:
    """The counters under ``keys`` (0 for a missing one): one ``MGET`` on Redis (the cache keeps
    an integer as its digits, which ``INCR`` counts on), else the cache's ``get_many``."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        full = [cache.make_and_validate_key(key) for key in keys]
        return [int(value or 0) for value in _client(cache).mget(full)]
    found = cache.get_many(keys)
    return [int(found.get(key) or 0) for key in keys]


def _count(cache, current: str, previous: str, timeout: int) -> tuple[int, int]:
    """Add one to ``current`` (created, expiring after ``timeout`` seconds, if missing); its new
    value and ``previous``'s value (0 if missing)."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        full_current, full_previous = cache.make_and_validate_key(current), cache.make_and_validate_key(previous)
        pipe = _client(cache, write=True).pipeline(transaction=False)
        pipe.incr(full_current)
        pipe.expire(full_current, timeout)
        pipe.get(full_previous)
        count, _, before = pipe.execute()
        return int(count), int(before or 0)
    cache.add(current, 0, timeout)
    try:
        count = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.add(current, 1, timeout)
        count = 1
    return count, int(cache.get(previous) or 0)


def _uncount(cache, current: str, timeout: int) -> None:
    """Take back one from ``current``."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        key = cache.make_and_validate_key(current)
        pipe = _client(cache, write=True).pipeline(transaction=False)
        pipe.decr(key)
        pipe.expire(key, timeout)  # never a counter without expiry, even if it expired meanwhile
        pipe.execute()
        return
    try:
        cache.decr(current)
    except ValueError:  # expired meanwhile: nothing to take back
        pass


def retry_after(count: int, before: int, offset: float, duration: int, limit: int) -> float:
    """Seconds until one more request fits: ``count`` requests in this window (the refused one
    not included), ``before`` in the previous one, ``offset`` seconds into this window."""
    room = limit - 1 - count  # what the previous window's weighted share must fall to
    if before > 0 and room >= 0:
        wait = duration * (1 - room / before) - offset
        if wait <= duration - offset:
            return max(wait, 0.0)
    # in the next window, this window's count is the one that fades
    fade = duration * (1 - (limit - 1) / count) if count > limit - 1 else 0.0
    return duration - offset + max(fade, 0.0)


class CountingRateThrottle:
    """``allow_request`` and ``wait`` of DRF's ``SimpleRateThrottle`` with two counters per
    client and scope instead of a log of request times (this module's docstring). Mixed in
    before a ``SimpleRateThrottle`` subclass, whose scope, rate and cache key it keeps."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        current, previous = window_keys(self.key, self.now, self.duration)
        timeout = 2 * self.duration + 1  # a counter serves its window, then as the previous one
        count, before = _count(self.cache, current, previous, timeout)
        offset = self.now % self.duration
        if count + before * (1 - offset / self.duration) <= self.num_requests:
            return True
        _uncount(self.cache, current, timeout)
        self.retry = retry_after(count - 1, before, offset, self.duration, self.num_requests)
        return False

    def wait(self) -> float:
        return max(self.retry, 1.0)


class AnonRateThrottle(CountingRateThrottle, throttling.AnonRateThrottle):
    """Unauthenticated requests, per address: ``DEFAULT_THROTTLE_RATES["anon"]``."""


class UserRateThrottle(CountingRateThrottle, throttling.UserRateThrottle):
    """Every authenticated request, per user: ``DEFAULT_THROTTLE_RATES["user"]``."""


class MoneyWriteThrottle(UserRateThrottle):
    scope = "money"

    def __init__(self) -> None:  # the rate is read when a money write is counted, not per request
        self.rate = None

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get(self.scope)  # no "money" rate configured: not throttled

    def allow_request(self, request, view) -> bool:
        if request.method not in UNSAFE or not getattr(view, "moves_money", False):
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
