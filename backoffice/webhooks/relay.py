"""The relay: from the outbox to the subscribers' URLs.

One pass (``relay_pass``, the ``webhooks.relay`` task):

1. **Fan out**: for each active subscription (locked with SKIP LOCKED, so concurrent relays share
   the work), the events after its cursor that its client may see and wants become ``Delivery``
   rows, and the cursor moves on, in one transaction. The outbox feed is commit-safe
   (``core_banking.events.selectors``), so no event is skipped.
2. **Claim** due deliveries (SKIP LOCKED): a delivery is due when it is pending, its retry time has
   come, no relay holds its lease, and no earlier delivery of the same subscription and subject is
   still pending. That last rule keeps the order per subject (a payment's ``payment.created``
   before its ``payment.posted``) with any number of relays. A claim takes a lease.
3. **Post** each claimed delivery outside any transaction, signed (``signing.py``), and record the
   outcome: 2xx is delivered; anything else is retried after an exponential backoff, and dead after
   ``WEBHOOKS_MAX_ATTEMPTS``. A relay killed mid-post leaves its lease to run out; another relay
   then posts the same event again (the receiver deduplicates by ``Webhook-Id``).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core_banking.audit.services import audit_record
from core_banking.common.visibility import client_scope
from core_banking.events.models import Event
from core_banking.events.selectors import cursor_of, cursor_parse, event_feed

from . import signing
from .models import Delivery, Subscription

logger = logging.getLogger(__name__)
Status = Delivery.Status


def _setting(name: str, default):
    return getattr(settings, name, default)


def event_body(event: Event) -> bytes:
    return json.dumps({"id": event.pk, "type": event.type, "version": event.version,
                       "aggregate_type": event.aggregate_type, "aggregate_id": event.aggregate_id,
                       "occurred_at": event.occurred_at.isoformat(), "payload": event.payload},
                      separators=(",", ":"), sort_keys=True).encode()


# --- 1. fan out ---------------------------------------------------------------------------------


def fan_out(*, batch: int = 500) -> int:
    """Deliveries created for every active subscription; returns how many."""
    created = 0
    for subscription_id in Subscription.objects.filter(is_active=True, client__is_active=True).values_list(
            "pk", flat=True):
        created += _fan_out_one(subscription_id, batch=batch)
    return created


@transaction.atomic
def _fan_out_one(subscription_id: int, *, batch: int) -> int:
    subscription = (Subscription.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("client__user").filter(pk=subscription_id, is_active=True).first())
    if subscription is None:
        return 0  # another relay is on it
    events = event_feed(after=cursor_parse(subscription.cursor), types=subscription.event_types or None,
                        visible_to=client_scope(subscription.client.user), limit=batch)
    if not events:
        return 0
    Delivery.objects.bulk_create([Delivery(subscription=subscription, event=event,
                                           subject=f"{event.aggregate_type}:{event.aggregate_id}")
                                  for event in events], ignore_conflicts=True)
    subscription.cursor = str(cursor_of(events[-1]))
    subscription.save(update_fields=["cursor"])
    return len(events)


# --- 2. claim -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt: int


def claim(*, limit: int = 20, now=None) -> list[Claim]:
    """Take a lease on up to ``limit`` due deliveries (see the module's docstring)."""
    now = now or timezone.now()
    lease = timedelta(seconds=_setting("WEBHOOKS_LEASE_SECONDS", 60))
    earlier_pending = Delivery.objects.filter(subscription_id=OuterRef("subscription_id"), subject=OuterRef("subject"),
                                              status=Status.PENDING, id__lt=OuterRef("id"))
    with transaction.atomic():
        ids = list(Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
                   .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                   .filter(~Exists(earlier_pending)).order_by("id")
                   .select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(lease_until=now + lease, attempts=F("attempts") + 1)
        return [Claim(pk, attempts) for pk, attempts in
                Delivery.objects.filter(pk__in=ids).order_by("id").values_list("id", "attempts")]


# --- 3. post ------------------------------------------------------------------------------------


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST and return the HTTP status (an error status is returned, not raised)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked above
    try:
        # The subscription's URL, entered by staff (http or https only: see models).
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def backoff(attempt: int) -> timedelta:
    """Seconds before retry ``attempt + 1``: base × 2^(attempt-1), at most an hour."""
    base = _setting("WEBHOOKS_BACKOFF_SECONDS", 10)
    return timedelta(seconds=min(base * 2 ** max(0, attempt - 1), 3600))


def deliver(item: Claim) -> str:
    """Post one claimed delivery and record the outcome; returns the new status."""
    delivery = Delivery.objects.select_related("subscription", "event").get(pk=item.delivery_id)
    body = event_body(delivery.event)
    code, error = None, ""
    try:
        code = post(delivery.subscription.url, body, signing.headers(delivery.subscription.secret, delivery.event_id,
                                                                     body),
                    timeout=_setting("WEBHOOKS_TIMEOUT_SECONDS", 10))
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except (OSError, ValueError) as failure:  # refused, timed out, unreachable, bad URL
        error = f"{type(failure).__name__}: {failure}"[:500]
    now = timezone.now()
    if not error:
        changes = {"status": Status.DELIVERED, "delivered_at": now, "last_error": ""}
    elif item.attempt >= _setting("WEBHOOKS_MAX_ATTEMPTS", 8):
        changes = {"status": Status.DEAD, "last_error": error}
    else:
        changes = {"next_attempt_at": now + backoff(item.attempt), "last_error": error}
    # Only the attempt this relay claimed is recorded (a relay whose lease ran out and was
    # overtaken must not overwrite a newer attempt's outcome).
    Delivery.objects.filter(pk=item.delivery_id, attempts=item.attempt, status=Status.PENDING).update(
        lease_until=None, last_status_code=code, **changes)
    return changes.get("status", Status.PENDING)


def relay_pass(*, budget_seconds: float = 20.0, batch: int = 20) -> dict[str, int]:
    """Fan out, then claim and post until nothing is due or the time budget is spent."""
    started = time.monotonic()
    counts = {"fanned_out": fan_out(), "delivered": 0, "retrying": 0, "dead": 0}
    while time.monotonic() - started < budget_seconds:
        claims = claim(limit=batch)
        if not claims:
            break
        for item in claims:
            outcome = deliver(item)
            counts[{Status.DELIVERED: "delivered", Status.DEAD: "dead"}.get(outcome, "retrying")] += 1
    return counts


# --- waking the relay and redelivery ------------------------------------------------------------

_last_wake = [0.0]


def wake() -> None:
    """After a commit with events: queue a relay pass, at most once a second per process. Not
    with the in-process task runner (``make run``, the tests): there, ``manage.py relay_webhooks``
    or the admin runs a pass."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not _setting("WEBHOOKS_WAKE_ON_COMMIT", True):
        return
    now = time.monotonic()
    if now - _last_wake[0] < 1.0:
        return
    _last_wake[0] = now
    from .tasks import relay

    try:
        relay.delay()
    except Exception:  # noqa: BLE001 - the change is committed; the beat schedule catches up
        logger.warning("could not queue the webhook relay; the next scheduled pass delivers", exc_info=True)


@transaction.atomic
def redeliver(*, delivery_ids: list[int], actor) -> int:
    """Dead (or delivered) deliveries back to pending, due now, attempts reset; audited."""
    rows = list(Delivery.objects.select_for_update().filter(pk__in=delivery_ids).exclude(status=Status.PENDING))
    for delivery in rows:
        before = delivery.status
        Delivery.objects.filter(pk=delivery.pk).update(status=Status.PENDING, attempts=0, delivered_at=None,
                                                       next_attempt_at=timezone.now(), lease_until=None)
        audit_record(action="webhook.redelivered", obj=delivery, actor=actor, before={"status": before},
                     after={"status": Status.PENDING}, changes=["status"])
    return len(rows)
