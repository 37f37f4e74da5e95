"""Webhook subscriptions of API clients and the delivery of each event to each subscription.

A ``Subscription`` belongs to one API client: its URL, its signing secret, the event types it
wants (none listed: all) and its position in the outbox (``cursor``). The relay copies the
events after the cursor that the client may see (client isolation, the same rule as the feed)
into ``Delivery`` rows, then posts them: in order per subject (a later event of a payment waits
until the earlier one is delivered or dead), retried with exponential backoff, dead after
``WEBHOOKS_MAX_ATTEMPTS``. Staff redeliver a dead delivery from the admin.
"""

from __future__ import annotations

import secrets

from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from backoffice.api_clients.models import ApiClient
from core_banking.events.models import Event


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Subscription(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="webhook_subscriptions")
    url = models.URLField(max_length=500, validators=[URLValidator(schemes=["http", "https"])],
                          help_text="Where events are POSTed (https in production).")
    secret = models.CharField(max_length=100, default=new_secret, editable=False,
                              help_text="Shared with the client: the HMAC-SHA256 key of the signature header.")
    event_types = models.JSONField(default=list, blank=True,
                                   help_text="Event types to deliver (docs/events.md); empty: every type.")
    is_active = models.BooleanField(default=True)
    cursor = models.CharField(max_length=40, default="0.0", editable=False,
                              help_text="The outbox position up to which deliveries have been made.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "webhook subscription"

    def __str__(self) -> str:
        return f"Webhook of {self.client.name} to {self.url}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Dead (gave up)"

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=100, help_text="aggregate_type:aggregate_id: the order is kept per subject.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True,
                                       help_text="A relay is posting it until then; after, another may retry.")
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(condition=Q(status="delivered", delivered_at__isnull=False)
                                   | (~Q(status="delivered") & Q(delivered_at__isnull=True)),
                                   name="webhook_delivered_has_time"),
        ]
        indexes = [
            models.Index(fields=["subscription", "subject", "id"], condition=Q(status="pending"),
                         name="webhook_pending_subject"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_due"),
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} to {self.subscription.url} ({self.get_status_display()})"
