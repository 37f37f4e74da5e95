"""The one status-history block: append-only triggers, the shared history columns, and the
helper that writes a transition row.

* ``append_only_triggers()`` is the row-level BEFORE UPDATE OR DELETE trigger every append-only
  table uses (history rows, decisions, messages, repayments ...). Its name (``append_only_row``)
  and SQL are the ones the apps used to copy, so already installed triggers stay the same.
* ``StatusHistory`` is the abstract model of a lifecycle history (from, to, reason, actor, at),
  append-only through its ``Meta.triggers``. A concrete history adds the foreign key to its
  subject (and any columns of its own) and extends ``StatusHistory.Meta``.
* ``record_transition()`` writes one history row; the previous status is the one captured
  before the transition (or, when not given, the subject's row as the database still holds it).

The audit trail keeps its own triggers (it also refuses TRUNCATE, with its own message).
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

_APPEND_ONLY_SQL = """
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
    RETURN NULL;
"""


def append_only_triggers() -> list:
    """A row-level trigger refusing every UPDATE and DELETE with "<table> is append-only: <op>
    refused" (SQLSTATE 23001, restrict_violation). A new list each call: pgtrigger binds a
    trigger to the model it is declared on."""
    return [pgtrigger.Trigger(name="append_only_row", when=pgtrigger.Before,
                              operation=pgtrigger.Update | pgtrigger.Delete, func=_APPEND_ONLY_SQL)]


class StatusHistory(models.Model):
    """One row per lifecycle transition of a subject. Append-only (database trigger)."""

    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True
        ordering = ["id"]
        triggers = append_only_triggers()


def _subject_field(history_model, obj) -> str:
    """The name of ``history_model``'s foreign key to ``obj``'s model."""
    names = [f.name for f in history_model._meta.concrete_fields
             if f.is_relation and f.many_to_one and isinstance(obj, f.related_model)]
    if len(names) != 1:
        raise TypeError(f"{history_model.__name__} has {len(names)} foreign keys to "
                        f"{type(obj).__name__}; pass subject_field=")
    return names[0]


def record_transition(history_model, obj, *, from_status: str | None = None, to_status: str | None = None,
                      actor=None, reason: str = "", status_field: str = "status",
                      subject_field: str | None = None, **fields):
    """Write one ``history_model`` row for ``obj``'s transition and return it.

    ``from_status`` is the status captured before the transition (``""`` for a creation). When it
    is not given, it is read from ``obj``'s database row, so the call must come before the new
    status is saved (the caller holds the row locked). ``to_status`` defaults to ``obj``'s
    current (in-memory) status. ``actor`` is stored as given: pass ``user_or_none(actor)``.
    Other columns of the history model (``action``, ``at`` ...) go in ``fields``."""
    if from_status is None:
        from_status = type(obj)._base_manager.using(obj._state.db).filter(pk=obj.pk).values_list(
            status_field, flat=True).get()
    if to_status is None:
        to_status = getattr(obj, status_field)
    subject = subject_field or _subject_field(history_model, obj)
    return history_model.objects.using(obj._state.db).create(
        **{subject: obj}, from_status=from_status, to_status=to_status, reason=reason, actor=actor, **fields)
