"""The signature of a webhook delivery, and how a receiver checks it.

Headers of every POST:

* ``Webhook-Id``: the event's id (the same on every retry: receivers deduplicate by it);
* ``Webhook-Timestamp``: seconds since the epoch when this attempt was signed;
* ``Webhook-Signature``: ``v1=<hex HMAC-SHA256 of "<id>.<timestamp>.<body>" with the secret>``.

A receiver recomputes the HMAC over the raw body, compares in constant time and refuses a
timestamp older than its tolerance (five minutes is usual): a captured request cannot be replayed
later, and the id makes a retry harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(secret: str, event_id: int | str, timestamp: int, body: bytes) -> str:
    message = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret: str, event_id: int, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {"Content-Type": "application/json", "Webhook-Id": str(event_id), "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": signature(secret, event_id, timestamp, body)}


def verify(secret: str, received: dict[str, str], body: bytes, *, tolerance: int = 300,
           now: float | None = None) -> bool:
    """A receiver's check (used by the tests' loopback receiver; clients write their own)."""
    try:
        timestamp = int(received["Webhook-Timestamp"])
        expected = signature(secret, received["Webhook-Id"], timestamp, body)
    except (KeyError, ValueError):
        return False
    fresh = abs((now if now is not None else time.time()) - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, received.get("Webhook-Signature", ""))
