"""Times as people read them: the one place that turns a moment into text, with its time zone.

``format_time(datetime(2026, 12, 6, 19, 5, tzinfo=UTC))`` -> ``"2026-12-06 20:05 CET"``: the
moment in the bank's time zone (``BANK_TIME_ZONE``, Django's current time zone), to the minute
(``seconds=True``: ``20:05:09``), followed by the zone's abbreviation, so that a time read on a page,
copied into a ticket or compared with a customer's statement says which clock it is on (CET in
winter, CEST in summer). Storage is always UTC; only this display converts.

The admin (``backoffice/staff/admin_money.lookup_field``: every changelist column and read-only
field holding a time), the staff pages (``{% load times %}``, ``{{ value|when }}``,
``{{ value|when:"seconds" }}``) use it. A date (no time of day) is not a moment: it is shown as it
is, without a zone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

EMPTY = "—"


def zone_label(value: dt.datetime) -> str:
    """The abbreviation of ``value``'s zone (``CET``, ``CEST``, ``UTC``), else its UTC offset."""
    name = value.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = value.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def format_time(value, *, seconds: bool = False) -> str:
    """``2026-12-06 20:05 CET``: an aware moment in the current (the bank's) time zone with the
    zone's name; a naive one as it is, unlabelled; a date as ``2026-12-06``; None as a dash."""
    if value is None or value == "":
        return EMPTY
    if not isinstance(value, dt.datetime):
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    if timezone.is_naive(value):
        return value.strftime(pattern)
    local = timezone.localtime(value)
    label = zone_label(local)
    return f"{local.strftime(pattern)} {label}" if label else local.strftime(pattern)
