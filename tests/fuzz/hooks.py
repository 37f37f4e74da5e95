"""Schemathesis hooks for the fuzz run (loaded through ``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``).

``problem_json_errors``: every error answer of the API (4xx and 5xx) is an RFC 9457 problem
document, ``application/problem+json`` with at least ``type``, ``title``, ``status`` (equal to the
HTTP status) and ``code`` (docs/api.md, "Errors"). The built-in checks cover the rest: no 5xx,
documented status codes and content types, bodies valid against the response schema.
"""

from __future__ import annotations

import json

import schemathesis

PROBLEM = "application/problem+json"
REQUIRED = ("type", "title", "status", "code")


@schemathesis.check
def problem_json_errors(ctx, response, case):
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.split(";")[0].strip().lower() != PROBLEM:
        raise AssertionError(f"{response.status_code} answered as {content_type or 'no Content-Type'}, "
                             f"not {PROBLEM}")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} problem body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise AssertionError(f"{response.status_code} problem body is not a JSON object")
    missing = [name for name in REQUIRED if name not in body]
    if missing:
        raise AssertionError(f"{response.status_code} problem document lacks {', '.join(missing)}")
    if body["status"] != response.status_code:
        raise AssertionError(f"problem status {body['status']!r} differs from the HTTP status {response.status_code}")
    if not isinstance(body["code"], str) or not body["code"]:
        raise AssertionError(f"problem code {body['code']!r} is not a non-empty string")
    return None
