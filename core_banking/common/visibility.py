"""Whose objects may a caller see: the client-isolation seam.

The engine does not know what an API client is; the back office does. A caller is answered by
the function named in the ``CORE_BANKING_CLIENT_SCOPE`` setting (a seam declared in
``core_banking.common.seams``), ``(user) -> user | None``:

- ``None``: the caller sees everything (staff, a bank-channel API client). This is also the
  answer when the setting is absent (the engine on its own has no partners).
- a user: the caller sees only what that user created (customers, ledger accounts, holds,
  payments, ...) and what hangs off it (a visible customer's accounts, their ledger accounts,
  their payments). A partner API client's answer is its own user.

Selectors take that answer as ``visible_to`` and filter with it; an object outside the scope is
reported as not found (404), never as forbidden, so its existence does not leak. Views get it
with :func:`client_scope`, and :class:`ScopedObjectsMixin` checks the object ids in a URL before
any handler runs, so an action endpoint cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .seams import seam

SETTING = "CORE_BANKING_CLIENT_SCOPE"
_CACHE_ATTRIBUTE = "_core_banking_client_scope"
_UNSET = object()


def client_scope(user) -> Any:
    """``None`` (everything) or the user whose creations ``user`` may see. Cached on the user
    object, which lives as long as the request that authenticated it."""
    if user is None:
        return None
    cached = getattr(user, _CACHE_ATTRIBUTE, _UNSET)
    if cached is not _UNSET:
        return cached
    policy = seam(SETTING)
    scope = policy(user) if policy is not None else None
    try:
        setattr(user, _CACHE_ATTRIBUTE, scope)
    except AttributeError:  # an object that takes no attributes: answer without caching
        pass
    return scope


class ScopedObjectsMixin:
    """For API views whose URL names objects: ``scoped_lookups`` maps a URL keyword (e.g.
    ``"account_id"``) to a selector-style check ``(object_id, *, visible_to) -> Any`` that raises
    the object's NotFound when the caller may not see it. It runs after authentication,
    permissions and throttling (so 401 and 403 come first) and before the handler."""

    scoped_lookups: dict[str, Callable[..., Any]] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        scope = client_scope(request.user)
        if scope is None:
            return
        for keyword, check in self.scoped_lookups.items():
            if kwargs.get(keyword) is not None:
                check(kwargs[keyword], visible_to=scope)
