"""Render every API error as `application/problem+json` with a stable `code`.

A problem is answered as a plain Django ``HttpResponse`` holding JSON, never a DRF ``Response``:
DRF would render it with whichever renderer the ``Accept`` header chose (an HTML page, or YAML for
the schema view) under the problem+json label. ``response.data`` still holds the document for
tests and middleware.

Outside DRF views the root urlconf's ``handler400`` / ``handler403`` / ``handler404`` /
``handler500`` answer problem+json under ``/api/`` (an unknown ``Host``, a CSRF refusal, no route,
a crash) and Django's own pages elsewhere.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import exception_handler

from core_banking.common.errors import DomainError, ValidationFailed

PROBLEM_CONTENT_TYPE = "application/problem+json"

# DRF's own exceptions mapped to our stable codes.
_DRF_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.ValidationError: ("validation_error", "The request is not valid"),
    exceptions.ParseError: ("malformed_request", "The request body could not be parsed"),
    exceptions.AuthenticationFailed: ("authentication_failed", "Authentication failed"),
    exceptions.NotAuthenticated: ("not_authenticated", "Authentication is required"),
    exceptions.PermissionDenied: ("permission_denied", "You may not do this"),
    exceptions.NotFound: ("not_found", "Not found"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed"),
    exceptions.NotAcceptable: ("not_acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Unsupported media type"),
    exceptions.Throttled: ("throttled", "Too many requests"),
}


# Validation errors whose `ErrorDetail.code` becomes the problem's code (see `strict.py`), in priority order.
PROMOTED_CODES: dict[str, str] = {
    "unknown_field": "The request has a field this endpoint does not accept",
    "unknown_currency": "The currency is not known",
}


def promoted_error(errors) -> tuple[str, str, str] | None:
    """``(code, field, message)`` of the first error in ``errors`` (a validation error's detail)
    whose code is promoted, with the path of its field (``postings[1].fee``); else None."""
    found: dict[str, tuple[str, str]] = {}
    stack = [(errors, "")]
    while stack:
        value, path = stack.pop(0)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and key.isascii()):
                    stack.append((item, f"{path}[{key}]"))
                else:
                    stack.append((item, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                nested = isinstance(item, dict | list)
                stack.append((item, f"{path}[{index}]" if nested else path))
        else:
            code = getattr(value, "code", None)
            if code in PROMOTED_CODES and code not in found:
                found[code] = (path or "(body)", str(value))
    for code in PROMOTED_CODES:
        if code in found:
            return code, *found[code]
    return None


def validation_failed(errors, detail: str = "One or more fields are not valid.", **extra) -> ValidationFailed:
    """A ``validation_error`` for serializer errors a view reports itself (with extra members),
    under the promoted code (``unknown_field``, ...) when one of the errors has it."""
    error = ValidationFailed(detail, **extra, errors=errors)
    promoted = promoted_error(errors)
    if promoted:
        code, field, message = promoted
        error.code, error.title, error.detail = code, PROMOTED_CODES[code], f"{field}: {message}"
        error.extra = {"field": field, **error.extra}
    return error


def problem_response(problem: dict, *, headers: dict | None = None) -> HttpResponse:
    body = json.dumps(problem, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body.encode(), status=problem["status"], headers=headers,
                            content_type=PROBLEM_CONTENT_TYPE)
    response.data = problem
    return response


def _drf_problem(exc: exceptions.APIException, response) -> dict:
    code, title = "error", "The request was refused"
    for klass, (known_code, known_title) in _DRF_CODES.items():
        if isinstance(exc, klass):
            code, title = known_code, known_title
            break
    problem = {
        "type": f"https://corebank.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": response.status_code,
        "code": code,
    }
    if isinstance(exc, exceptions.ValidationError):
        problem["detail"] = "One or more fields are not valid."
        promoted = promoted_error(exc.detail)
        if promoted:
            code, field, message = promoted
            problem.update(type=f"https://corebank.dev/problems/{code.replace('_', '-')}",
                           title=PROMOTED_CODES[code], code=code, detail=f"{field}: {message}", field=field)
        problem["errors"] = response.data
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        problem["detail"] = str(detail) if detail else title
    return problem


def problem_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return problem_response(exc.as_problem())
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: let Django log it and answer 500
    problem = _drf_problem(exc, response)
    passed_on = {"retry-after", "www-authenticate"}
    headers = {k: v for k, v in response.items() if k.lower() in passed_on}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return problem_response(problem, headers=headers)


# --- Errors raised outside DRF views (bad host, CSRF, no route, unexpected exception) ---------
API_PATH_PREFIX = "/api/"


def plain_problem(request, *, status_code: int, code: str, title: str, detail: str, **extra) -> HttpResponse:
    problem = {
        "type": f"https://corebank.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status_code,
        "code": code,
        "detail": detail,
        **extra,
    }
    request_id = getattr(request, "request_id", "")
    if request_id:
        problem["request_id"] = request_id
    return problem_response(problem)


def _is_api(request) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def bad_request(request, exception=None):
    """An unknown ``Host`` (``DisallowedHost``), a malformed request Django refuses itself."""
    if _is_api(request):
        return plain_problem(request, status_code=400, code="bad_request", title="Bad request",
                             detail="The request was refused before reaching the API (for example, an unknown "
                                    "Host header).")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return plain_problem(request, status_code=403, code="permission_denied", title="You may not do this",
                             detail=str(exception) if exception and str(exception) else "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _is_api(request):
        return plain_problem(
            request, status_code=404, code="not_found", title="Not found",
            detail=f"There is no API endpoint at {request.path}.",
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return plain_problem(
            request, status_code=500, code="internal_error", title="Internal server error",
            detail="The server failed to answer; quote the request_id when reporting it. On a write, the outcome "
                   "is unknown: retry with the same Idempotency-Key.",
        )
    return defaults.server_error(request)
