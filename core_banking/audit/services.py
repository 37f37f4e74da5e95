"""Writing audit events. Call these inside the transaction of the change they describe."""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise

from . import context
from .models import AuditEvent

OBJECT_REPR_MAX = AuditEvent._meta.get_field("object_repr").max_length
OBJECT_ID_MAX = AuditEvent._meta.get_field("object_id").max_length


def to_jsonable(value: Any) -> Any:
    """A JSON-safe copy of `value`: Decimal as a string (no float rounding), dates and times in
    ISO 8601 (aware datetimes in UTC), model instances as their primary key, sets sorted."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN or Infinity
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return to_jsonable(value.pk)
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(item) for item in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return str(value)


def _build_event(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    before: Any = None,
    after: Any = None,
    changes: Iterable[str] | None = None,
    reason: str = "",
    actor=None,
) -> AuditEvent:
    ctx = context.current()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id, actor_repr = actor.pk, actor.get_username()
    else:
        actor_id, actor_repr = ctx.actor_id, ctx.actor_repr
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        if object_repr is None:
            object_repr = str(obj)
    return AuditEvent(
        actor_id=actor_id,
        actor_repr=actor_repr,
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id)[:OBJECT_ID_MAX],
        object_repr=(object_repr or "")[:OBJECT_REPR_MAX],
        before=to_jsonable(before),
        after=to_jsonable(after),
        changes=sorted(changes) if changes is not None else [],
        reason=reason,
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
        channel=ctx.channel,
    )


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    before: Any = None,
    after: Any = None,
    changes: Iterable[str] | None = None,
    reason: str = "",
    actor=None,
) -> AuditEvent:
    """Append one event. Actor, request id, client address and channel come from the current
    request context unless `actor` is given. Runs in the caller's transaction, so the event
    rolls back with the change it describes."""
    event = _build_event(
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        changes=changes,
        reason=reason,
        actor=actor,
    )
    http_request_in_transaction()
    event.save()
    return event


HTTP_REQUEST = "http.request"


def http_request_event(http: context.HttpRequestAudit, *, status: int | None, actor=None) -> AuditEvent:
    details = {"method": http.method, "path": http.path, "status": status, "view": http.view}
    return _build_event(action=HTTP_REQUEST, object_repr=f"{http.method} {http.path}", after=details, actor=actor)


def _pending(http: context.HttpRequestAudit, connection) -> bool:
    """Written in the open transaction already: its commit callback is still pending (Django drops
    the callbacks of a rolled-back transaction or savepoint, and the row went with them)."""
    return http.on_commit is not None and any(item[1] is http.on_commit for item in connection.run_on_commit)


def http_request_recorded(http: context.HttpRequestAudit) -> bool:
    """Is the request's event stored with its change (committed, or pending in a transaction
    still open around the whole request: ``ATOMIC_REQUESTS``, or a test's transaction)?"""
    return http.committed or _pending(http, connections[router.db_for_write(AuditEvent)])


def audit_event(**fields: Any) -> AuditEvent:
    """The event ``audit_record(**fields)`` would append, not saved: for a caller that writes it
    with its own statements (``core_banking.common.sqlbatch.Batch.insert``), after
    ``http_request_in_transaction(batch)``."""
    return _build_event(**fields)


def http_request_in_transaction(batch=None) -> None:
    """Write the current request's ``http.request`` event in the caller's transaction, once per
    transaction, so that a committed change always has its request recorded: the row the
    middleware writes after the response can be lost when the database session dies between the
    commit and that write. Its ``status`` is null (the response did not exist yet); a request whose
    change committed but that then failed gets a second event with the status from the middleware.
    A no-op outside a state-changing request by a known actor; services that write an audit event
    call it through ``audit_record``; write paths without one (a ledger posting) call it directly."""
    ctx = context.current()
    http = ctx.http
    if http is None or http.committed or ctx.actor_id is None:
        return
    connection = connections[router.db_for_write(AuditEvent)]
    if not connection.in_atomic_block:  # autocommit: stored as soon as it is written
        http_request_event(http, status=None).save()
        http.committed = True
        return
    if _pending(http, connection):
        return
    event = http_request_event(http, status=None)
    if batch is None:
        event.save()
    else:  # written with the caller's batch, in this transaction
        batch.insert([event])

    def committed() -> None:
        http.committed = True

    http.on_commit = committed
    transaction.on_commit(committed, using=connection.alias)


def audit_record_many(
    entries: Iterable[Mapping[str, Any]], *, batch_size: int = 500
) -> list[AuditEvent]:
    """Append many events in few INSERTs; each entry holds `audit_record`'s keyword arguments.
    For batch services (EOD, imports) that would otherwise insert one row per item."""
    events = [_build_event(**entry) for entry in entries]
    http_request_in_transaction()
    return AuditEvent.objects.bulk_create(events, batch_size=batch_size)
