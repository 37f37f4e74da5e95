"""``staff_page(permission)``: the one gate of every server-rendered staff page.

A page needs a signed-in member of staff (``is_staff``) past the second factor
(``two_factor.two_factor_satisfied``; the staff middleware already sends an unverified session to
the 2FA step, this is defence in depth) who holds ``permission`` (or, given a tuple, any one of
them; ``None``: any member of staff). An anonymous visitor is sent to the staff sign-in with
``next``; anyone else who may not see the page gets 403. A domain ``NotFound`` raised by a
selector becomes a 404. Pages are never cached and every POST is CSRF-checked.

Object-level checks (a KYC application only for its assignee, a ticket for its team) stay in the
services and selectors the page calls: this decorator only decides who may open the page at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from core_banking.common.errors import NotFound

from .two_factor import two_factor_satisfied


def may_open(user, permission: str | Iterable[str] | None) -> bool:
    """Whether ``user`` passes the gate of a page guarded by ``permission``."""
    if not user.is_authenticated or not user.is_active or not user.is_staff or not two_factor_satisfied(user):
        return False
    if permission is None:
        return True
    if isinstance(permission, str):
        return user.has_perm(permission)
    return any(user.has_perm(p) for p in permission)


def staff_page(permission: str | Iterable[str] | None) -> Callable:
    """Decorate a staff page view: see the module docstring."""
    if permission is not None and not isinstance(permission, str):
        permission = tuple(permission)

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            if not may_open(user, permission):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound as error:
                raise Http404(error.detail) from error

        wrapped.staff_permission = permission
        return never_cache(csrf_protect(wrapped))

    return decorator
