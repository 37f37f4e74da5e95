"""The bulk endpoint's input: a parser for large bodies and a fast validator.

**Parser.** DRF reads a JSON body through ``request.body``, which Django caps at
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB by default, sized for forms): 10,000 entries with
references and descriptions are larger than that. ``BulkJSONParser`` reads the stream itself,
up to ``MAX_BODY_BYTES``, and answers 413 ``payload_too_large`` beyond it.

**Validator.** ``validated_bulk`` is equivalent to ``BulkInputSerializer`` on what it accepts.

DRF's nested serializers cost about 60 µs per entry, a third of a 10,000-entry bulk request.
This module accepts the plainly well-formed batch, the one every connectivity layer sends, in a
single pass (and one query for the currencies it names) with the same result as the serializer;
anything it is not sure about (a wrong type, an unknown field or currency, an unusual date
format, an invalid item) makes it give up, and the view runs the serializer, which is the one
source of validation errors and their messages.

``tests/core_banking/ledger/test_api_bulk_validation.py`` checks the equivalence with
generated input: whenever this returns data, the serializer accepts the batch and returns the
same data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.utils.json import strict_constant

from core_banking.common.api.guard import JsonTooDeep, check_document
from core_banking.common.errors import DomainError
from core_banking.ledger.hashing import canonical_json
from core_banking.ledger.models import Currency

from . import serializers as s

_CURRENCY = re.compile(s.CURRENCY_CODE.removeprefix("^").removesuffix("$"))
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = s.AmountField()
_TEXT_FIELDS = (("external_ref", 128), ("description", 500))


MAX_BODY_BYTES = 16 * 1024 * 1024  # 10,000 entries of 1.6 KB


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    title = "The request body is too large"


class BulkJSONParser(BaseParser):
    """Strict JSON (no NaN or Infinity), read from the request stream up to MAX_BODY_BYTES."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        raw = b"" if declared > MAX_BODY_BYTES else stream.read(MAX_BODY_BYTES + 1)
        if declared > MAX_BODY_BYTES or len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"A bulk request body may be at most {MAX_BODY_BYTES // (1024 * 1024)} MB; "
                                  "split the batch.")
        try:
            document = json.loads(raw.decode(get_encoding(parser_context)), parse_constant=strict_constant)
        except RecursionError as exc:
            raise JsonTooDeep("The JSON body is nested too deeply.", field="(body)") from exc
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_document(document)  # the front door's depth and NUL checks (core_banking/common/api/guard.py)
        return document


class _GiveUp(Exception):
    pass


def validated_bulk(data) -> list[dict] | None:
    """The validated entries of a well-formed bulk body, or None to let the serializer decide."""
    if not isinstance(data, Mapping):
        return None
    items = data.get("entries")
    if not isinstance(items, list) or not 1 <= len(items) <= s.MAX_BULK_ENTRIES:
        return None
    try:
        entries = [_entry(item) for item in items]
    except _GiveUp:
        return None
    named = {p["currency"] for entry in entries for p in entry["postings"] if "currency" in p}
    if named and len(named) != Currency.objects.filter(code__in=named).count():
        return None  # an unknown currency: the serializer refuses it (`unknown_currency`)
    return entries


_ENTRY_KEYS = frozenset({"postings", "metadata", "value_date", "idempotency_key", *(n for n, _ in _TEXT_FIELDS)})
_POSTING_KEYS = frozenset({"account_id", "amount", "currency"})


def _entry(item) -> dict:
    if not isinstance(item, dict) or not _ENTRY_KEYS.issuperset(item):
        raise _GiveUp  # an unknown field (e.g. `kind`): the serializer refuses it and says why
    postings = item.get("postings")
    if not isinstance(postings, list) or not 2 <= len(postings) <= s.MAX_POSTINGS:
        raise _GiveUp
    entry = {"postings": [_posting(p) for p in postings]}
    for name, max_length in _TEXT_FIELDS:
        entry[name] = _text(item[name], max_length) if name in item else ""
    metadata = item.get("metadata", {})
    if type(metadata) is not dict or len(canonical_json(metadata).encode()) > s.MAX_METADATA_BYTES \
            or not s.RESERVED_METADATA_KEYS.isdisjoint(metadata):
        raise _GiveUp
    entry["metadata"] = metadata
    entry["value_date"] = _date(item.get("value_date"))
    if "idempotency_key" in item:
        entry["idempotency_key"] = _text(item["idempotency_key"], 128)
        if not entry["idempotency_key"]:
            raise _GiveUp
    return entry


def _posting(posting) -> dict:
    if not isinstance(posting, dict) or not _POSTING_KEYS.issuperset(posting):
        raise _GiveUp  # an unknown field: the serializer refuses it (`unknown_field`)
    account_id, amount = posting.get("account_id"), posting.get("amount")
    if type(account_id) is not int or not 1 <= account_id <= s.MAX_ID or type(amount) is not str:
        raise _GiveUp
    result = {"account_id": account_id, "amount": _amount(amount)}
    if "currency" in posting:
        currency = posting["currency"]
        if type(currency) is not str or not _CURRENCY.fullmatch(currency):
            raise _GiveUp
        result["currency"] = currency
    return result


def _amount(text: str) -> Decimal:
    try:  # the same field as the serializer's: a plain decimal string
        return _AMOUNT.to_internal_value(text)
    except ValidationError:
        raise _GiveUp from None


def _text(value, max_length: int) -> str:
    # DRF trims whitespace and refuses NUL and surrogate characters: leave all that to it.
    if type(value) is not str or len(value) > max_length or value != value.strip():
        raise _GiveUp
    if not value.isascii() and any("\ud800" <= char <= "\udfff" for char in value):
        raise _GiveUp
    if "\x00" in value:
        raise _GiveUp
    return value


def _date(value) -> dt.date | None:
    if value is None:
        return None
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise _GiveUp
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _GiveUp from None
