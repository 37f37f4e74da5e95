"""Writing domain events: ``emit`` adds one outbox row to the caller's transaction.

Call it where the change is made, inside the change's transaction (the services hold the
subject's row lock there), so an event exists exactly when its change committed: a rollback
takes the event with it. It is one INSERT; the relay (``backoffice.webhooks``) and the feed read
the outbox later. The payload builders live with their subject (``core_banking/payments/events.py``,
``core_banking/accounts/events.py``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from .catalogue import EVENT_TYPES
from .models import Event

_after_emit: list = []


def audience_text(user_ids: Iterable[int | None]) -> str:
    """``[7, None, 3, 7]`` -> ``",3,7,"`` (empty when nobody outside the bank is named)."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    return f",{','.join(map(str, ids))}," if ids else ""


def emit(event_type: str, *, aggregate_id: Any, payload: dict[str, Any], audience: Iterable[int | None] = ()) -> Event:
    """Write one event of ``event_type`` (a type of ``catalogue.EVENT_TYPES``) about
    ``aggregate_id``. ``payload`` holds only the type's members. Must run inside a transaction."""
    return emit_many([(event_type, aggregate_id, payload)], audience=audience)[0]


def emit_many(events: list[tuple[str, Any, dict[str, Any]]], *, audience: Iterable[int | None] = (),
              batch=None) -> list[Event]:
    """Several ``(event_type, aggregate_id, payload)`` in one INSERT, in this order (a new
    payment's ``payment.created`` and ``payment.posted``). With ``batch`` (a
    ``core_banking.common.sqlbatch.Batch`` the caller runs in this transaction) the INSERT is
    added to it instead of run, and the events get no ids."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are emitted inside the transaction of the change they record")
    audience = audience_text(audience)
    rows = []
    for event_type, aggregate_id, payload in events:
        kind = EVENT_TYPES.get(event_type)
        if kind is None:
            raise ValueError(f"{event_type!r} is not in core_banking/events/catalogue.py")
        extra = set(payload) - set(kind.members)
        if extra:
            raise ValueError(f"{event_type} carries no {', '.join(sorted(extra))} (members: {kind.members})")
        rows.append(Event(type=event_type, version=kind.version, aggregate_type=kind.aggregate,
                          aggregate_id=str(aggregate_id), payload=payload, audience=audience))
    if batch is not None:
        batch.insert(rows)
        created = rows
    else:
        created = Event.objects.bulk_create(rows)
    for hook in _after_emit:
        transaction.on_commit(hook)
    return created


def on_commit_of_events(hook) -> None:
    """Call ``hook()`` after each transaction that emitted events commits (the webhooks relay
    registers its wake-up here, from its ``AppConfig.ready``). Registered once per process."""
    if hook not in _after_emit:
        _after_emit.append(hook)
