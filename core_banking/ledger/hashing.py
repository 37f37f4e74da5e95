"""Canonical digests: of a request (idempotency) and of an entry's content (the hash chain).

Both are sha256 over canonical JSON (sorted keys, no whitespace, amounts as plain decimal strings
without trailing zeros), so the same content always gives the same digest, whether it comes
from a request or is read back from the database by ``verify_ledger``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64


def canonical_amount(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):  # first: a bulk request's digest meets two amounts per entry
        return canonical_amount(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def entry_content_digest(
    *,
    kind: str,
    business_date: dt.date,
    value_date: dt.date,
    created_at: dt.datetime,
    external_ref: str,
    description: str,
    metadata: dict,
    created_by_id: int | None,
    idempotency_scope: str,
    idempotency_key: str,
    reverses_id: int | None,
    postings: Iterable[tuple[int, str, Decimal]],
) -> str:
    """The digest of everything an entry asserts. Balances-after are not part of it (they are
    checked separately by recomputation); posting order is the order they were written in."""
    # A JSON array in a fixed field order (only metadata has keys to sort): no per-value callbacks,
    # so the C encoder does the work. The bulk path digests thousands of entries per request.
    payload = [
        kind, business_date.isoformat(), value_date.isoformat(), created_at.astimezone(dt.UTC).isoformat(),
        external_ref, description, metadata, created_by_id, idempotency_scope, idempotency_key, reverses_id,
        [[a, c, canonical_amount(m)] for a, c, m in postings],
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def chain_next(previous: str, content_digest: str) -> str:
    """The next link: sha256(previous link bytes || content digest bytes), hex encoded."""
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(content_digest)).hexdigest()
