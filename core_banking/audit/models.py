"""The audit trail: one append-only table of who did what, when, from where, and what changed.

Design:

- One row per event. `action` names what happened ("model.updated", "auth.login",
  "http.request", or a domain action such as "ledger.entry_reversed"); the object it happened to
  is identified by `object_type` ("app_label.model") and `object_id` as strings, so any model,
  including ones in apps that do not exist yet, can be audited without a foreign key.
- `before` / `after` are JSON snapshots (values made JSON-safe by `services.to_jsonable`) and
  `changes` is the sorted list of field names that differ. Secrets are never stored: a password
  that changed appears as `"<changed>"`.
- The request context (`context.current()`) supplies the actor, request id, client address and
  channel, so a service only says *what* happened; every event of one HTTP request shares its
  `request_id`, which ties an "http.request" row to the model changes it caused.
- `actor` is a foreign key with `on_delete=PROTECT`: a user who has acted can never be deleted,
  only deactivated, so history keeps pointing at a real account. `actor_repr` keeps the username
  as it was at the time, so renaming a user does not rewrite history.
- Append-only is enforced twice. In Python, `save()` refuses to update, `delete()` refuses and
  the queryset refuses `update()`/`delete()`. In PostgreSQL, triggers refuse UPDATE and DELETE
  (row level) and TRUNCATE (statement level), so raw SQL cannot rewrite history either. The
  triggers are installed by the migration (django-pgtrigger); on SQLite they are skipped.
  They stop mistakes and application-level tampering, not the database owner, who can drop a
  trigger: in production the application role should also lack UPDATE/DELETE/TRUNCATE grants on
  this table. `pgtrigger.ignore(...)` is the one, greppable break-glass (the test suite uses it
  to let Django's TRUNCATE-based flush empty the database between transactional tests).
- Events are written in the caller's transaction: if the change rolls back, so does its audit
  row. Request-level events ("http.request") are written after the view has returned, outside
  its transaction, so a refused or failed request is still recorded.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from .exceptions import AuditTrailImmutable

_REFUSE_CHANGE_SQL = """
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
    RETURN NULL;
"""


class Channel(models.TextChoices):
    WEB = "web", "Web (staff UI and admin)"
    API = "api", "REST API"
    COMMAND = "command", "Management command"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailImmutable("Audit events cannot be updated.")

    def delete(self):
        raise AuditTrailImmutable("Audit events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditTrailImmutable("Audit events cannot be updated.")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise AuditTrailImmutable("Audit events cannot be updated.")
        return super().bulk_create(objs, *args, update_conflicts=update_conflicts, **kwargs)

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The composite (actor, occurred_at) index below serves lookups by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="audit_events",
    )
    actor_repr = models.CharField("actor (at the time)", max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(verbose_name="object ID", max_length=64, blank=True)
    object_repr = models.CharField("object", max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changes = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(verbose_name="request ID", max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(verbose_name="client IP address", null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SYSTEM)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-occurred_at", "-id")
        # Nobody is ever granted add/change/delete: events are written by code only.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time_idx"),
            models.Index(
                fields=["object_type", "object_id", "occurred_at"], name="audit_object_time_idx"
            ),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="append_only_row",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                func=_REFUSE_CHANGE_SQL,
            ),
            pgtrigger.Trigger(
                name="append_only_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func=_REFUSE_CHANGE_SQL,
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_repr or "system"
        what = f" {self.object_type}#{self.object_id}" if self.object_type else ""
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {who} {self.action}{what}"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AuditTrailImmutable("Audit events cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable("Audit events cannot be deleted.")
