"""API permissions: token scopes, then role permissions.

Two independent checks, both rendered as 403 `application/problem+json` with code
`permission_denied` (an unauthenticated request gets 401 `not_authenticated` instead):

**Scopes** (`HasScope`) say which *areas* of the API a client token may call at all. A view
declares them::

    class PostEntryApi(APIView):
        required_scopes = ["ledger"]

A request authenticated with a token must carry every required scope. The token is duck-typed
(this module must not import the back office): any `request.auth` object with a `scopes`
attribute, e.g. `backoffice.api_clients.models.ApiToken`, whose scopes are its client's. A
request without a token (`request.auth is None`, i.e. session authentication) passes the scope
check only for staff users; a token without a `scopes` attribute (another scheme) is refused, so
the check fails closed. Views without `required_scopes` are not scope-restricted. `HasScope` is in
`DEFAULT_PERMISSION_CLASSES`; a view that sets its own `permission_classes` must list it again.

**Permissions** (`RequiresPermissions`, `require_perms`) are Django model permissions given by
the role groups, checked with `request.user.has_perms(...)`, so they work the same for staff and
for API clients (whose user is in a role group)::

    class PostEntryApi(APIView):
        required_scopes = ["ledger"]
        permission_classes = [IsAuthenticated, HasScope, require_perms("ledger.post_entry")]

or per HTTP method, with the permissions on the view::

    class ApiClientListCreateApi(APIView):
        permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
        required_perms = {
            "GET": ["api_clients.view_apiclient"],
            "POST": ["api_clients.add_apiclient"],
        }

With a mapping, HEAD uses GET's permissions, OPTIONS (the route's description) needs none, and a
method the view implements but the mapping does not list is refused (fail closed); a method the
view does not implement passes, so the client gets the honest 405. These checks guard the door;
services still check the permissions that depend on the object or state (see the design notes on
maker-checker).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rest_framework.permissions import BasePermission


def _missing(required: Iterable[str], granted: Iterable[str]) -> list[str]:
    granted = set(granted)
    return [item for item in required if item not in granted]


class HasScope(BasePermission):
    """Token requests must carry every scope in `view.required_scopes`; staff sessions pass."""

    message = "This token does not carry the scope this endpoint requires."

    def has_permission(self, request, view) -> bool:
        required = list(getattr(view, "required_scopes", None) or ())
        if not required:
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        token = request.auth
        if token is None:
            # Session authentication: staff are governed by their role permissions alone.
            if user.is_staff:
                return True
            self.message = "This endpoint requires an API token with a scope."
            return False
        scopes = getattr(token, "scopes", None)
        if scopes is None:
            self.message = "This kind of credential carries no scopes."
            return False
        missing = _missing(required, scopes)
        if missing:
            self.message = f"The token lacks the required scope(s): {', '.join(missing)}."
            return False
        return True


class RequiresPermissions(BasePermission):
    """`request.user.has_perms(...)` for the permissions this class or the view declares."""

    #: Set by `require_perms`; when empty, `view.required_perms` is used.
    perms: tuple[str, ...] = ()
    message = "You do not have the permission this requires."

    def required_for(self, request, view) -> list[str] | None:
        """The permissions for this request, or None when the method is not allowed at all."""
        declared = self.perms or getattr(view, "required_perms", ())
        if isinstance(declared, Mapping):
            method = request.method.upper()
            if method == "OPTIONS" and "OPTIONS" not in declared:
                return []  # the route's description (methods, media types): nothing to guard
            lookup = "GET" if method == "HEAD" and "HEAD" not in declared else method
            if lookup in declared:
                return list(declared[lookup])
            if hasattr(view, method.lower()):
                return None  # implemented but not declared: fail closed
            return []  # not implemented: let the view answer 405
        return list(declared)

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        required = self.required_for(request, view)
        if required is None:
            self.message = f"No permission is declared for {request.method} on this endpoint."
            return False
        if not user.has_perms(required):
            missing = [perm for perm in required if not user.has_perm(perm)]
            self.message = f"Missing permission(s): {', '.join(missing)}."
            return False
        return True


def require_perms(*perms: str) -> type[RequiresPermissions]:
    """A permission class requiring all of `perms` for every method, e.g.
    `permission_classes = [IsAuthenticated, HasScope, require_perms("ledger.post_entry")]`."""
    if not perms or not all(isinstance(perm, str) and "." in perm for perm in perms):
        raise ValueError("require_perms() takes permissions as 'app_label.codename' strings")
    name = "Requires_" + "_".join(perm.replace(".", "__") for perm in perms)
    return type(name, (RequiresPermissions,), {"perms": tuple(perms), "__module__": __name__})


class BankInternal(BasePermission):
    """Only callers who see the whole bank: staff and bank-channel API clients, never a partner's
    token (whose client scope, ``core_banking/common/visibility.py``, is its own customers). For
    routes about the bank itself: the end of day, compliance, reconciliation. A view may set
    ``bank_internal_message`` to say what is refused."""

    message = "This is bank-internal: a partner's API token may not call it."

    def has_permission(self, request, view) -> bool:
        from core_banking.common.visibility import client_scope

        self.message = getattr(view, "bank_internal_message", type(self).message)
        return client_scope(request.user) is None
