"""Strict input: the one way every API write reads its body.

**Unknown fields are refused, never dropped.** Every input serializer of a ``POST``, ``PUT``,
``PATCH`` or ``DELETE`` (nested ones too, and multipart form fields) is a
``StrictInputSerializer``: a key it does not declare as writable is a ``400`` problem with code
``unknown_field`` and ``field`` naming it (``postings[1].fee``), and nothing is written. A client
that sends ``status`` or ``fee_amount`` learns that the API does not set it, instead of believing
it did. ``refused`` on a serializer explains why a known name is not accepted (``kyc_status``: the
KYC workflow sets it). A write that takes no body at all validates it with
``refuse_body(request)``. ``tests/core_banking/common/test_strict_input.py`` fails when a write
view reads its body through anything else.

**Decimals are plain strings.** ``DecimalStringField`` (amounts, rates, percentages) accepts a
JSON string of ASCII digits with an optional leading ``-`` and one ``.``: ``"10.50"``, ``"-3"``.
A JSON number (a binary float by the time it is parsed), an exponent (``"1E+2"``), a ``+``,
spaces, ``NaN``, ``Infinity``, hexadecimal and non-ASCII digits (``"１"``) are refused
(``validation_error``). Whether an amount fits its currency's exponent is the services' check
(``invalid_amount``), never rounded.

**Unknown currencies.** ``CurrencyCodeField`` (``core_banking.ledger.api.serializers``) refuses a
code that is not in the currency table with ``unknown_currency``.

``unknown_field`` and ``unknown_currency`` are validation errors whose ``ErrorDetail.code`` the
problem handler promotes to the problem's ``code`` (``core_banking.common.api.problems``); the
problem keeps ``errors`` per field as a ``validation_error`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

UNKNOWN_FIELD = "unknown_field"
UNKNOWN_CURRENCY = "unknown_currency"
NOT_ACCEPTED = "This field is not accepted here."
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def unknown_field_error(message: str = NOT_ACCEPTED) -> ErrorDetail:
    return ErrorDetail(message, code=UNKNOWN_FIELD)


class StrictInputMixin:
    """Refuse keys that are not writable fields of the serializer (``unknown_field``)."""

    #: Why a known name is not accepted, by key; any other unknown key gets ``NOT_ACCEPTED``.
    refused: Mapping[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = [key for key in data if key not in writable]
            if unknown:
                raise serializers.ValidationError(
                    {str(key): [unknown_field_error(self.refused.get(key, NOT_ACCEPTED))] for key in unknown}
                )
        return super().to_internal_value(data)


class StrictInputSerializer(StrictInputMixin, serializers.Serializer):
    """The base of every API input serializer (a request body, or an item of one)."""


class EmptyInputSerializer(StrictInputSerializer):
    """The body of a write that takes none: empty, or an empty JSON object."""


def refuse_body(request) -> None:
    """For a write that takes no body: refuse any field in it (``unknown_field``)."""
    EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)


class DecimalStringField(serializers.DecimalField):
    """A decimal number as a plain JSON string: ``"-10.50"``; never a JSON number, an exponent,
    a ``+``, spaces or non-ASCII digits. Subclasses name what it is in ``not_a_string``."""

    default_error_messages = {
        "not_a_string": 'Send this number as a JSON string, e.g. "10.50", not as a JSON number.',
        "not_plain": 'Not a plain decimal: digits with an optional leading "-" and decimal point, e.g. "-10.50" '
        '(no exponent, "+", spaces or other characters).',
    }

    def __init__(self, **kwargs) -> None:
        kwargs["coerce_to_string"] = True
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if not PLAIN_DECIMAL.fullmatch(data):
            self.fail("not_plain")
        return super().to_internal_value(data)

    def schema_pattern(self) -> str:
        """The OpenAPI ``pattern`` of exactly what this field accepts: digits before the point
        are counted without leading zeros (as ``DecimalField`` counts them)."""
        whole, places = self.max_whole_digits, self.decimal_places
        integer = "[0-9]+" if whole is None else ("0+" if whole == 0 else f"0*[0-9]{{1,{whole}}}")
        fraction = "" if places == 0 else ("(?:\\.[0-9]+)?" if places is None else f"(?:\\.[0-9]{{1,{places}}})?")
        return f"^-?{integer}{fraction}$"
