"""OpenAPI helpers: document error responses as `application/problem+json`.

    @extend_schema(responses={200: OutputSerializer, **problem_responses(401, 403)})

`AutoSchema` (the project's DEFAULT_SCHEMA_CLASS) keeps list detection (pagination parameters,
the paginated envelope) working when responses are keyed by `(status, media type)`, as
`problem_responses` does.

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

_DESCRIPTIONS = {
    400: "The request is not valid (`validation_error` with `errors` per field, or a domain code).",
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
        required=False, help_text="Field errors, for `validation_error` only."
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
