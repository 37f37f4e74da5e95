"""Reading the audit trail (each query follows one of the model's indexes)."""

from __future__ import annotations

from django.db import models

from .models import AuditEvent


def audit_events_for_object(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("occurred_at", "id")


def audit_events_for_request(request_id: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(request_id=request_id).order_by("occurred_at", "id")


def audit_events_by_actor(actor) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(actor=actor).order_by("-occurred_at", "-id")
