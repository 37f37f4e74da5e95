"""Customers' personal data, masked for whoever may not see it.

Who sees it in full: a user holding ``customers.view_customer_pii`` (operations, the compliance
roles, API clients for the customers they onboard) or ``customers.change_customer`` (whoever
edits a customer sees what they edit). Anyone else (a support agent) gets the e-mail, phone,
date of birth, address lines and tax ids masked, in the API and in the admin alike:
``j***@example.com``, ``+44 *** *** 123``, ``19**-**-**``, ``***``, ``***6C``.

The API serializers do not always receive the request; the user is then the one the audit
context names for this request (``core_banking.audit.context``), set by the audit middleware for
sessions and by the token authentication for API clients. No user at all: masked (fail closed).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

VIEW_PII = "customers.view_customer_pii"
CHANGE = "customers.change_customer"
HIDDEN = "***"


def may_see_pii(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(VIEW_PII) or user.has_perm(CHANGE)


def acting_user():
    """The user the current request acts as (the audit context's actor), or None."""
    from core_banking.audit.context import current

    actor_id = current().actor_id
    if actor_id is None:
        return None
    return get_user_model().objects.filter(pk=actor_id).first()


def mask_email(value: str) -> str:
    if not value:
        return value
    local, at, domain = value.partition("@")
    if not at:
        return HIDDEN
    return f"{local[:1]}{HIDDEN}@{domain}"


def mask_phone(value: str) -> str:
    """``+44 20 7946 0123`` -> ``+44 *** *** 123``: the country code and the last three digits."""
    if not value:
        return value
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) <= 5:
        return HIDDEN
    head = f"+{digits[:2]} " if value.lstrip().startswith("+") else ""
    return f"{head}*** *** {digits[-3:]}"


def mask_date(value: dt.date | str | None) -> str | None:
    """A date of birth keeps its century only: ``1815-12-10`` -> ``18**-**-**``."""
    if value is None or value == "":
        return value
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return f"{text[:2]}**-**-**"


def mask_text(value: str) -> str:
    return HIDDEN if value else value


def mask_id(value: str) -> str:
    """A tax id keeps its last two characters when long enough to stay unguessable."""
    if not value:
        return value
    return f"{HIDDEN}{value[-2:]}" if len(value) > 5 else HIDDEN
