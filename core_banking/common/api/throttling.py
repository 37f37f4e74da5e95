"""A separate, configurable rate for the writes that move money (issue 17).

``MoneyWriteThrottle`` (in ``DEFAULT_THROTTLE_CLASSES``) counts only the unsafe requests (POST,
PUT, PATCH, DELETE) to views that declare ``moves_money = True``: posting ledger entries (one or
in bulk), reversals, holds and their posting, payments and their release or return. It is per
client (the authenticated user: an API client's user, or a member of staff), at the rate
``DEFAULT_THROTTLE_RATES["money"]`` (setting ``API_THROTTLE_MONEY``, default ``1200/minute``), on
top of the general ``user`` rate that every request counts against. Over it: ``429 throttled``
with ``Retry-After``. A bulk request counts once (its size is bounded by the bulk route).
"""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
