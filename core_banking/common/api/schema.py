"""OpenAPI helpers: document error responses as `application/problem+json`.

    @extend_schema(responses={200: OutputSerializer, **problem_responses(401, 403)})

`AutoSchema` (the project's DEFAULT_SCHEMA_CLASS) keeps list detection (pagination parameters,
the paginated envelope) working when responses are keyed by `(status, media type)`, as
`problem_responses` does. It also documents, centrally, what every operation of a kind can answer:

* every write (POST, PUT, PATCH, DELETE) a `400` (`unknown_field` at least: bodies are strict,
  see `strict.py`), and every other operation a `400` too: the front door (`guard.py`) refuses a
  NUL in any query string with `invalid_character`;
* every cursor-paginated list a `404` `not_found` for an invalid `cursor`;
* a `DecimalStringField` (amounts, rates) with the `pattern` of exactly what it accepts.

`docs/openapi.yaml` is the checked-in contract (`make schema` regenerates it; a test fails on any
difference).

Importing this module also registers `SessionSubclassScheme`, so that subclasses of DRF's
`SessionAuthentication` (e.g. one that also requires the staff second factor) are documented as
cookie authentication instead of producing a schema warning.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .problems import PROBLEM_CONTENT_TYPE
from .strict import DecimalStringField

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INVALID_CURSOR = "Not found (`not_found`): an invalid or tampered `cursor`."
INVALID_CURSOR_TOO = "An invalid or tampered `cursor` is `not_found` too."
UNKNOWN_FIELD = "A field this endpoint does not accept is `unknown_field` (named in `field`)."
FRONT_DOOR = ("Refused at the API's front door (`core_banking/common/api/guard.py`): `invalid_character` (a NUL, "
              "`%00`, in the query string or the JSON body), `json_too_deep`, `malformed_request`.")
FRONT_DOOR_TOO = "The front door's refusals are `400` too: `invalid_character`, `json_too_deep`."
_DESCRIPTIONS = {
    400: "The request is not valid: `validation_error` with `errors` per field; `unknown_field` (a field this "
    "endpoint does not accept, named in `field`); `unknown_currency`; or a domain code.",
    401: "Authentication is missing or failed (`not_authenticated`, `authentication_failed`).",
    403: "Authenticated but not allowed (`permission_denied`).",
    404: "Not found (`not_found`).",
    405: "Method not allowed (`method_not_allowed`).",
    409: "Conflicts with the current state (a domain code such as `conflict`).",
    429: "Too many requests (`throttled`); see the Retry-After header.",
}


class AutoSchema(openapi.AutoSchema):
    def _is_list_view(self, serializer=None) -> bool:
        if serializer is None:
            responses = self.get_response_serializers()
            if isinstance(responses, dict) and responses:
                # drf-spectacular takes the response with the smallest str(key) as the main one;
                # a key like (401, "application/problem+json") would sort before 200.
                by_status = {}
                for key, response in responses.items():
                    by_status.setdefault(str(key[0] if isinstance(key, tuple) else key), response)
                serializer = by_status[min(by_status)]
            else:
                serializer = responses
        return super()._is_list_view(serializer)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, DecimalStringField) and schema.get("type") == "string":
            schema["pattern"] = field.schema_pattern()
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        if self.method in WRITE_METHODS:
            if "400" not in responses:
                responses["400"] = self._problem(400, _DESCRIPTIONS[400])
            elif "unknown_field" not in responses["400"].get("description", ""):
                responses["400"]["description"] = _also(responses["400"].get("description", ""), UNKNOWN_FIELD)
        if "400" not in responses:
            responses["400"] = self._problem(400, FRONT_DOOR)
        elif "invalid_character" not in responses["400"].get("description", ""):
            responses["400"]["description"] = _also(responses["400"].get("description", ""), FRONT_DOOR_TOO)
        if self.method == "GET" and self._get_paginator() is not None and self._is_list_view():
            if "404" not in responses:
                responses["404"] = self._problem(404, INVALID_CURSOR)
            elif "cursor" not in responses["404"].get("description", ""):
                responses["404"]["description"] = _also(responses["404"].get("description", ""), INVALID_CURSOR_TOO)
        return dict(sorted(responses.items()))

    def _problem(self, status: int, description: str) -> dict:
        return self._get_response_for_code(OpenApiResponse(ProblemSerializer, description=description), str(status),
                                           media_types=[PROBLEM_CONTENT_TYPE])


def _also(description: str, sentence: str) -> str:
    description = description.strip()
    if description and not description.endswith((".", ")")):
        description += "."
    return f"{description} {sentence}".strip()


class SessionSubclassScheme(SessionScheme):
    """Any `SessionAuthentication` subclass is the session cookie, like the base class."""

    match_subclasses = True
    priority = -2  # a dedicated extension for a subclass, or the built-in one, wins


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document; `code` is stable and meant for programs."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        required=False, help_text="Field errors, for `validation_error`, `unknown_field` and `unknown_currency`."
    )
    field = serializers.CharField(
        required=False, help_text="The field at fault, for the codes that name one (`unknown_field`: "
        "`postings[1].fee`)."
    )


def problem_responses(*statuses: int) -> dict:
    """`extend_schema(responses=...)` entries for the given error statuses."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=_DESCRIPTIONS.get(status, "An error.")
        )
        for status in statuses
    }


def path_id(name: str) -> OpenApiParameter:
    """An integer id in the URL path, e.g. ``path_id("account_id")``."""
    return OpenApiParameter(name, int, OpenApiParameter.PATH)
