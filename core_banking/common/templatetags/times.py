"""Template filters over ``core_banking.common.time_display`` (the one time display).

``{% load times %}`` then ``{{ payment.created_at|when }}`` -> ``2026-12-06 20:05 CET`` and
``{{ run.started_at|when:"seconds" }}`` -> ``2026-12-06 20:05:09 CET``. Registered for templates
by ``backoffice/staff/templatetags/times.py`` (an installed app's library).
"""

from __future__ import annotations

from django import template

from core_banking.common import time_display

register = template.Library()


@register.filter
def when(value, precision: str = "") -> str:
    """A moment in the bank's time zone with the zone's name (``precision="seconds"`` adds seconds)."""
    return time_display.format_time(value, seconds=precision == "seconds")
