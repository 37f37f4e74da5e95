"""Reading the outbox in commit-safe order: the feed behind ``GET /api/v1/events/`` and the
webhooks relay.

Order is ``(txid, id)``, and only events below the **horizon** are served: the oldest
transaction of this database that is still running (its ``txid``), or, when none is, the next
transaction id. Ids are handed out at INSERT, not at COMMIT, so serving by id alone could move a
reader's cursor past an event whose transaction commits a moment later, and the reader would
never see it. Below the horizon every transaction has ended, so every event a reader has not
yet seen sorts after its cursor.

The horizon is read first (``pg_stat_activity.backend_xid`` of this database's sessions, made
64-bit with the epoch of ``pg_current_snapshot()``), then the events with a new statement, whose
snapshot is younger: a transaction below the horizon had ended before it was read, so its events
are visible to that statement. This needs READ COMMITTED (Django's default) and sessions the
application's database role may see in ``pg_stat_activity`` (its own, or ``pg_read_all_stats``).
It looks at this database only, unlike ``pg_snapshot_xmin`` (the whole cluster), so another
database's long transaction does not hold the feed back; a long transaction here does, for as
long as it runs. On the embedded SQLite database (one writer at a time) ``txid`` is empty and the
id is the order.

A cursor is ``"<txid>.<id>"`` of the last event read (``"0.0"``: from the beginning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from .exceptions import InvalidCursor
from .models import Event

_CURSOR = re.compile(r"^(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})$")
START = "0.0"


@dataclass(frozen=True)
class Cursor:
    txid: int
    id: int

    def __str__(self) -> str:
        return f"{self.txid}.{self.id}"


def cursor_parse(value: str | None) -> Cursor:
    if value in (None, ""):
        return Cursor(0, 0)
    match = _CURSOR.match(value) if value.isascii() else None
    if match is None:
        raise InvalidCursor(f"{value!r} is not a cursor of this feed (\"<txid>.<id>\", e.g. \"0.0\")", cursor=value)
    return Cursor(int(match[1]), int(match[2]))


def cursor_of(event: Event) -> Cursor:
    return Cursor(event.txid or 0, event.pk)


def visible_q(visible_to) -> Q:
    """Events a caller scoped to ``visible_to`` (a user, or None for everything) may see."""
    return Q() if visible_to is None else Q(audience__contains=f",{visible_to.pk},")


def event_feed(*, after: Cursor, types: list[str] | None = None, visible_to=None, limit: int = 100) -> list[Event]:
    """Up to ``limit`` events after ``after``, oldest first, that are safe to hand out."""
    qs = Event.objects.filter(visible_q(visible_to))
    if types:
        qs = qs.filter(type__in=types)
    if connection.vendor == "postgresql":
        qs = qs.filter(txid__lt=horizon()).filter(Q(txid__gt=after.txid) | Q(txid=after.txid, id__gt=after.id))
        qs = qs.order_by("txid", "id")
    else:
        qs = qs.filter(id__gt=after.id).order_by("id")
    return list(qs[:limit])


_HORIZON_SQL = """
WITH now AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax),
running AS (
    -- A 32-bit xid made 64-bit: the value within 2^31 of xmax with the same low 32 bits
    -- (an xid just assigned may be at or above xmax, which only counts completed ones).
    SELECT now.xmax + (((a.backend_xid::text::bigint - (now.xmax & 4294967295) + 2147483648) % 4294967296
                        + 4294967296) % 4294967296 - 2147483648) AS txid
    FROM now JOIN pg_stat_activity a ON a.datname = current_database() AND a.backend_xid IS NOT NULL
)
SELECT LEAST((SELECT xmax FROM now), (SELECT MIN(txid) FROM running))
"""


def horizon() -> int:
    """Every event with a ``txid`` below this was written by a transaction that has ended."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the activity as it is now, not cached
        cursor.execute(_HORIZON_SQL)
        return int(cursor.fetchone()[0])


def event_get(*, event_id: int, visible_to=None) -> Event | None:
    return Event.objects.filter(visible_q(visible_to), pk=event_id).first()
