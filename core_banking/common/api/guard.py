"""The API's front door: refuse what must not reach a parser or the database, before any view.

``ApiRequestGuardMiddleware`` looks at every request under ``/api/`` once its view is known
(``process_view``: before the view runs, so before DRF parses anything):

* **Size.** A body longer than ``API_MAX_BODY_BYTES`` (default 1 MiB) is refused with
  ``413 request_too_large`` from its ``Content-Length``, unread. A multipart upload (a statement,
  a watch list, a document) may be up to ``API_MAX_UPLOAD_BYTES`` (default 25 MiB); each service
  still checks its own file limit. A view may allow more (``max_body_bytes`` on its class): the
  ledger's bulk route streams up to 16 MiB with its own parser, which runs the same depth and NUL
  checks (``json_problem_path``).
* **Nesting.** A JSON body nested deeper than ``API_MAX_JSON_DEPTH`` (default 32) is refused with
  ``400 json_too_deep``: a 2 KB body of 1,000 brackets used to exhaust the recursion limit in the
  parser or the serializers. Counting brackets is one C-speed ``bytes.count``; only a body with more
  brackets than the limit is parsed (iteratively) to measure its depth.
* **NUL.** PostgreSQL cannot store a NUL character in text: a JSON body with ``\\u0000`` in a key or
  a value, or a query string with ``%00``, is refused with ``400 invalid_character`` naming where.

Every refusal is an ``application/problem+json`` document, whatever the ``Accept`` header.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core_banking.common.errors import DomainError

from .problems import API_PATH_PREFIX, plain_problem

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_MAX_UPLOAD = 25 * 1024 * 1024
DEFAULT_MAX_DEPTH = 32


def _limits() -> tuple[int, int, int]:
    return (getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY),
            getattr(settings, "API_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD),
            getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH))


class _TooDeep(Exception):
    pass


def json_problem_path(document, max_depth: int) -> tuple[str, str] | None:
    """Walk a parsed JSON document without recursion: ``("depth", path)`` when it nests deeper
    than ``max_depth``, ``("nul", path)`` at the first key or string holding a NUL, else None."""
    stack: list[tuple[object, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                return "depth", path or "(body)"
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return "nul", where
                stack.append((item, where, depth + 1))
        elif isinstance(value, list):
            if depth > max_depth:
                return "depth", path or "(body)"
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            return "nul", path or "(body)"
    return None


class JsonTooDeep(DomainError):
    code = "json_too_deep"
    status = 400
    title = "The JSON body is nested too deeply"


class InvalidCharacter(DomainError):
    code = "invalid_character"
    status = 400
    title = "The request holds a NUL character"


def check_document(document) -> None:
    """For a view's own parser (a body too large for the middleware to pre-read): raise the same
    refusals as the front door."""
    found = json_problem_path(document, _limits()[2])
    if found is not None:
        kind, path = found
        if kind == "depth":
            raise JsonTooDeep(f"JSON may nest at most {_limits()[2]} levels; {path} is deeper.", field=path)
        raise InvalidCharacter(f"A NUL character (U+0000) is not allowed: {path}.", field=path)


def _json_refusal(request: HttpRequest, body: bytes, max_depth: int) -> HttpResponse | None:
    deep = body.count(b"[") + body.count(b"{") > max_depth
    nul = b"\\u0000" in body or b"\x00" in body
    if not (deep or nul):
        return None
    try:
        document = json.loads(body)
    except RecursionError:
        return _too_deep(request, "(body)", max_depth)
    except ValueError:
        if b"\x00" in body:
            return _nul(request, "(body)")
        return None  # not JSON: the parser answers malformed_request
    found = json_problem_path(document, max_depth)
    if found is None:
        return None
    kind, path = found
    return _too_deep(request, path, max_depth) if kind == "depth" else _nul(request, path)


def _too_deep(request, path: str, max_depth: int) -> HttpResponse:
    return plain_problem(request, status_code=400, code="json_too_deep", title="The JSON body is nested too deeply",
                         detail=f"JSON may nest at most {max_depth} levels; {path} is deeper.", field=path)


def _nul(request, where: str) -> HttpResponse:
    return plain_problem(request, status_code=400, code="invalid_character", title="The request holds a NUL character",
                         detail=f"A NUL character (U+0000) is not allowed: {where}.", field=where)


def view_body_limit(view_func) -> int | None:
    """A view may accept more than the default: ``max_body_bytes`` on its class (the ledger's bulk
    route reads up to 16 MiB with its own streaming parser, which then checks depth and NUL)."""
    cls = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    return getattr(cls, "max_body_bytes", None)


class ApiRequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not request.path.startswith(API_PATH_PREFIX):
            return None
        return self.refuse(request, view_body_limit(view_func))

    @staticmethod
    def refuse(request: HttpRequest, view_limit: int | None = None) -> HttpResponse | None:
        max_body, max_upload, max_depth = _limits()
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        limit = view_limit or (max_upload if content_type == "multipart/form-data" else max_body)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return plain_problem(request, status_code=400, code="malformed_request", title="Bad Content-Length",
                                 detail="The Content-Length header is not a number.")
        if length > limit:
            return plain_problem(request, status_code=413, code="request_too_large",
                                 title="The request body is too large",
                                 detail=f"The body is {length} bytes; at most {limit} are accepted here.",
                                 limit=limit)
        if "%00" in request.META.get("QUERY_STRING", ""):
            return _nul(request, "the query string")
        is_json = content_type == "application/json" or content_type.endswith("+json")
        if length and is_json and length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _json_refusal(request, request.body, max_depth)
        return None  # a larger body is the view's own parser's to read and check (max_body_bytes)
