from __future__ import annotations

from .context import RequestContext, _current, new_request_id


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a proxy that sets X-Forwarded-For must be configured to overwrite it.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Sets the request context (request id, client address, session user) for the audit trail
    and echoes the request id in the `X-Request-ID` response header."""

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
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
