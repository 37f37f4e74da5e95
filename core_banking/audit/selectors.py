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


def audit_events_for_objects(objects: dict[str, list], *, limit: int = 100) -> list[AuditEvent]:
    """The newest events about any of several objects, ``{"customers.customer": [1], "accounts.account":
    [4, 5]}``: one query, an OR of scans of the (object_type, object_id) index."""
    condition = models.Q()
    for object_type, ids in objects.items():
        ids = [str(i) for i in ids if i is not None]
        if ids:
            condition |= models.Q(object_type=object_type, object_id__in=ids)
    if not condition:
        return []
    return list(AuditEvent.objects.filter(condition).select_related("actor").order_by("-occurred_at", "-id")[:limit])
