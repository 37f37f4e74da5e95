"""The transactional outbox: one row per domain event, written in the transaction of the change.

``txid`` is the writing transaction's id (PostgreSQL ``pg_current_xact_id()``, set by a trigger
so the insert costs no extra round trip). Readers take events in ``(txid, id)`` order and only
from transactions older than every transaction still running (``pg_snapshot_xmin``): an event
that commits later can never land behind a reader's cursor (``selectors.event_feed``).

``audience`` names who may see an event besides the bank's staff and bank-channel clients: the
users (a partner API client's user) under whose client scope the event's subject is visible,
written as ``,3,7,`` so one LIKE finds them on PostgreSQL and the embedded SQLite alike.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core_banking.common.history import append_only_triggers


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField()
    audience = models.CharField(max_length=200, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set by the database (trigger) on PostgreSQL; on SQLite the id stands in for it.
    txid = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["txid", "id"]
        verbose_name = "domain event"
        indexes = [
            models.Index(fields=["txid", "id"], name="event_feed_order"),
            models.Index(fields=["aggregate_type", "aggregate_id", "id"], name="event_aggregate"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.type} of {self.aggregate_type} {self.aggregate_id} (event {self.pk})"
