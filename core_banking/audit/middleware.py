from __future__ import annotations

import logging

from django.db import transaction

from .context import HttpRequestAudit, RequestContext, _current, current, new_request_id
from .services import HTTP_REQUEST, http_request_event, http_request_recorded  # noqa: F401 - HTTP_REQUEST

logger = logging.getLogger(__name__)

AUDITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_PATH_PREFIXES = ("/admin/", "/staff/", "/api/")


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a proxy that sets X-Forwarded-For must be configured to overwrite it.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Sets the request context (request id, client address, session user) for the audit trail
    and echoes the request id in the `X-Request-ID` response header.

    It also records one "http.request" audit event for every state-changing request (POST, PUT,
    PATCH, DELETE) to the admin, the staff pages or the API by an authenticated user. A request
    whose change commits has it written in that change's transaction (``audit.services.
    http_request_in_transaction``, through ``audit_record``), so a database session that dies
    after the commit cannot lose it; every other request (refused, failed, or changing nothing
    audited) gets it here once the response exists, and a request whose change committed but that
    then answered an error gets a second one with that status. The body is never recorded; the
    model changes the request caused carry the same `request_id`."""

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
            http=HttpRequestAudit(method=request.method, path=request.path) if _audited(request) else None,
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

    def process_view(self, request, view_func, view_args, view_kwargs):
        http = current().http
        if http is not None and getattr(request, "resolver_match", None) is not None:
            http.view = request.resolver_match.view_name
        return None


def _audited(request) -> bool:
    return request.method in AUDITED_METHODS and request.path_info.startswith(AUDITED_PATH_PREFIXES)


def audit_http_request(request, *, status: int) -> None:
    """Record a state-changing staff or API request. Never raises: a failure to write is
    logged as an error carrying the whole event, so it is not lost silently either."""
    if not _audited(request):
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
        http = ctx.http or HttpRequestAudit(method=request.method, path=request.path)
        if status < 400 and http_request_recorded(http):
            return  # written with the change it made, in the same transaction
        resolver_match = getattr(request, "resolver_match", None)
        http.view = resolver_match.view_name if resolver_match else http.view
        # A savepoint, so a failed insert cannot poison a transaction the caller still holds.
        with transaction.atomic():
            http_request_event(http, status=status, actor=actor).save()
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
