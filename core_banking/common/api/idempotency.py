"""The `Idempotency-Key` request header and the `Idempotent-Replayed` response header.

Every money-moving request carries a key chosen by the client, unique per client (the ledger
scopes keys by the authenticated user). Retrying a request with the same key and the same body
returns the original result with `Idempotent-Replayed: true` and status 200; the same key with a
different body is a 409 `idempotency_conflict`. The services enforce this with a unique index
(`core_banking/common/idempotency.py`); this module only reads and checks the header.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from core_banking.common.errors import ValidationFailed

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 128  # JournalEntry.idempotency_key / Hold.idempotency_key


class IdempotencyKeyRequired(ValidationFailed):
    code = "idempotency_key_required"
    title = "An Idempotency-Key header is required"


class IdempotencyKeyInvalid(ValidationFailed):
    code = "idempotency_key_invalid"
    title = "The Idempotency-Key header is not valid"


def idempotency_key(request, *, max_length: int = MAX_LENGTH) -> str:
    """The request's key: 1 to `max_length` printable ASCII characters (a UUID is a good key)."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise IdempotencyKeyRequired(
            f"Send an {HEADER} header (for example a UUID) so that the request can be retried safely."
        )
    if len(key) > max_length:
        raise IdempotencyKeyInvalid(f"The {HEADER} header may be at most {max_length} characters long.")
    if not (key.isascii() and key.isprintable()):
        raise IdempotencyKeyInvalid(f"The {HEADER} header must be printable ASCII.")
    return key


def created_or_replayed(data, *, replayed: bool, created_status: int = status.HTTP_201_CREATED) -> Response:
    """201 (or `created_status`) the first time; 200 with `Idempotent-Replayed: true` on a replay."""
    if replayed:
        return Response(data, status=status.HTTP_200_OK, headers={REPLAYED_HEADER: "true"})
    return Response(data, status=created_status)


def key_parameter(description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        HEADER,
        str,
        OpenApiParameter.HEADER,
        required=True,
        description=description
        or f"Client-chosen key (1-{MAX_LENGTH} printable ASCII characters, e.g. a UUID), unique per "
        "client. A retry with the same key and body returns the original result; the same key "
        "with another body is refused with 409 `idempotency_conflict`.",
    )


REPLAYED_PARAMETER = OpenApiParameter(
    REPLAYED_HEADER,
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="`true` when this response replays the result of an earlier request with the "
    "same Idempotency-Key.",
)
