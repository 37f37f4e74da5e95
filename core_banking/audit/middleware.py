from __future__ import annotations

import logging

from django.db import transaction

from .context import RequestContext, _current, current, new_request_id
from .services import audit_record

logger = logging.getLogger(__name__)

HTTP_REQUEST = "http.request"
AUDITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_PATH_PREFIXES = ("/admin/", "/staff/", "/api/")


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a proxy that sets X-Forwarded-For must be configured to overwrite it.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Sets the request context (request id, client address, session user) for the audit trail
    and echoes the request id in the `X-Request-ID` response header.

    It also writes one "http.request" audit event for every state-changing request (POST, PUT,
    PATCH, DELETE) to the admin, the staff pages or the API by an authenticated user, once the
    response exists, so refused and failed requests are recorded too. The body is never
    recorded; the model changes the request caused carry the same `request_id`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else new_request_id()
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        ctx = RequestContext(
            actor_id=user.pk if authenticated else None,
            actor_repr=user.get_username() if authenticated else "",
            request_id=request_id,
            client_ip=client_ip(request),
            channel="api" if request.path.startswith("/api/") else "web",
        )
        request.request_id = request_id
        token = _current.set(ctx)
        try:
            try:
                response = self.get_response(request)
            except Exception:
                # Django turns view exceptions into responses before they get here; this is
                # for whatever still escapes, so that it is not missing from the trail.
                audit_http_request(request, status=500)
                raise
            audit_http_request(request, status=response.status_code)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


def audit_http_request(request, *, status: int) -> None:
    """Record a state-changing staff or API request. Never raises: a failure to write is
    logged as an error carrying the whole event, so it is not lost silently either."""
    if request.method not in AUDITED_METHODS:
        return
    if not request.path_info.startswith(AUDITED_PATH_PREFIXES):
        return
    # Read the context now, not at the start: API authentication (DRF tokens) runs inside the
    # view and reports the user through `context.set_actor`.
    ctx = current()
    actor_name = ctx.actor_repr
    try:
        actor = None
        if ctx.actor_id is None:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return
            actor = user  # e.g. the user a login request has just authenticated
            actor_name = user.get_username()
        resolver_match = getattr(request, "resolver_match", None)
        details = {
            "method": request.method,
            "path": request.path,
            "status": status,
            "view": resolver_match.view_name if resolver_match else "",
        }
        # A savepoint, so a failed insert cannot poison a transaction the caller still holds.
        with transaction.atomic():
            audit_record(
                action=HTTP_REQUEST,
                object_repr=f"{request.method} {request.path}",
                after=details,
                actor=actor,
            )
    except Exception:
        logger.exception(
            "AUDIT EVENT NOT WRITTEN: %s %s status=%s actor=%s request_id=%s client_ip=%s",
            request.method,
            request.path,
            status,
            actor_name or "?",
            ctx.request_id,
            ctx.client_ip,
        )
