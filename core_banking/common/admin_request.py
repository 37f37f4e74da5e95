"""The request the admin is answering, for what the admin renders without it (read-only fields,
model ``__str__`` links), and links shown only to who may follow them.

The staff admin site (``backoffice/staff/admin_site.py``) sets the request around each admin view
and its rendering; outside an admin view ``current_request()`` is None and ``link_to`` shows
plain text.
"""

from __future__ import annotations

import contextvars

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

_request: contextvars.ContextVar = contextvars.ContextVar("admin_request", default=None)


def current_request():
    return _request.get()


def set_request(request):
    """Set the current admin request; returns the token for ``reset_request``."""
    return _request.set(request)


def reset_request(token) -> None:
    _request.reset(token)


def may_open(obj, request=None) -> bool:
    """Whether the person of ``request`` (default: the current admin request) may open ``obj``'s
    admin page: its model is registered and its admin lets them view or change it."""
    from django.contrib import admin

    request = request or current_request()
    if request is None:
        return False
    model_admin = admin.site._registry.get(type(obj))
    return model_admin is not None and model_admin.has_view_or_change_permission(request, obj)


def link_to(obj, text=None):
    """``obj``'s admin change page as a link if the current person may open it, else its text."""
    text = str(obj) if text is None else text
    if not may_open(obj):
        return text
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)
