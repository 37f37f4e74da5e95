"""Throttling of failed API authentication (issue 17: 300 bad-token requests used to get 300 × 401).

Each refused token counts against the caller's address (DRF's ``get_ident``: ``REMOTE_ADDR``, or
the ``X-Forwarded-For`` hop chosen by ``NUM_PROXIES``) and against the token's prefix (the public
half, so guessing the secret of one known token is slowed wherever it comes from). When either
count reaches ``API_THROTTLE_AUTH_FAILURES`` (default ``20/minute``) within its window, further
token requests from that address or for that prefix are answered ``429 throttled`` with
``Retry-After`` before the token is even looked up, until the window ends. A successful request
does not reset the count (an attacker holding one good token cannot launder guesses).

The counts live in the default cache (Redis in production: shared by every worker).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from core_banking.common.api.throttling import counters

DEFAULT_RATE = "20/minute"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate() -> tuple[int, int]:
    text = getattr(settings, "API_THROTTLE_AUTH_FAILURES", DEFAULT_RATE) or DEFAULT_RATE
    count, period = text.split("/")
    return int(count), _PERIODS[period.strip()[0]]


def _keys(request, prefix: str | None) -> list[str]:
    ident = BaseThrottle().get_ident(request)
    keys = [f"authfail:addr:{ident}"]
    if prefix:
        keys.append(f"authfail:prefix:{prefix}")
    return keys


def _window(period: int) -> int:
    return int(time.time() // period)


def check(request, prefix: str | None) -> None:
    """Refuse with 429 while the address or the prefix is over the limit."""
    limit, period = rate()
    window = _window(period)
    if any(value >= limit for value in counters(cache, [f"{key}:{window}" for key in _keys(request, prefix)])):
        wait = period - (time.time() % period)
        raise exceptions.Throttled(wait=wait, detail="Too many failed authentication attempts; wait and retry.")


def record_failure(request, prefix: str | None) -> None:
    _limit, period = rate()
    window = _window(period)
    for key in _keys(request, prefix):
        windowed = f"{key}:{window}"
        if not cache.add(windowed, 1, timeout=period + 1):
            try:
                cache.incr(windowed)
            except ValueError:  # expired between add and incr
                cache.add(windowed, 1, timeout=period + 1)
