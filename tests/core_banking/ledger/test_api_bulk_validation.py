"""The bulk endpoint's fast validator agrees with the serializer on everything it accepts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_banking.ledger.api.bulk import validated_bulk
from core_banking.ledger.api.serializers import MAX_ID, BulkInputSerializer

# The fast path looks the currencies it is given up in the currency table (one query per batch).
pytestmark = pytest.mark.django_db

ODD_TEXT = ["", " ", " x", "x ", "a\x00b", "\ud800", "é", "x" * 128, "x" * 129, "x" * 500, "x" * 501]

amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from([" 1.00", "1.00 ", "1e3", "-0", "0.0000000000000000001", "1" * 21, "NaN", "Infinity", "",
                     "１", "1,5", "+3"]),
    st.floats(allow_nan=False), st.integers(), st.none(), st.booleans(),
)
account_ids = st.one_of(st.integers(min_value=1, max_value=10**6), st.integers(min_value=-2, max_value=2**65),
                        st.sampled_from([MAX_ID, MAX_ID + 1, 0]), st.booleans(), st.floats(allow_nan=False),
                        st.text(max_size=3), st.none())
currencies = st.one_of(
    st.sampled_from(["EUR", "JPY", "USDT12345678", "usd", "EUR\n", " EUR", "E", "ABCDEFGHIJKLM", ""]),
    st.text(max_size=13), st.none(), st.integers(),
)
texts = st.one_of(st.text(max_size=20), st.sampled_from(ODD_TEXT), st.integers(), st.none())
metadata = st.one_of(
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5), st.none(), st.booleans(),
                                                   st.floats(allow_nan=False, allow_infinity=False))),
    st.none(), st.lists(st.integers(), max_size=2), st.just({"big": "x" * 9000}), st.text(max_size=3),
)
dates = st.one_of(st.dates().map(str), st.none(),
                  st.sampled_from(["20240131", "2024-02-30", "2024-1-1", "", " 2024-01-01", "２０２４-01-01",
                                   "2024-01-01T00:00:00"]),
                  st.integers())

postings = st.fixed_dictionaries(
    {"account_id": account_ids, "amount": amounts},
    optional={"currency": currencies, "unknown": st.integers()},
)
entries = st.fixed_dictionaries(
    {"postings": st.one_of(st.lists(postings, min_size=2, max_size=4), st.lists(postings, max_size=1),
                           st.none(), st.text(max_size=2))},
    optional={"external_ref": texts, "description": texts, "metadata": metadata, "value_date": dates,
              "idempotency_key": texts, "kind": st.sampled_from(["transfer", "reversal"])},
)
# Near-valid input, so that the fast path is taken often and its edges are explored.
plausible_postings = st.fixed_dictionaries(
    {"account_id": st.integers(min_value=1, max_value=MAX_ID),
     "amount": st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                     min_value=-(10**6), max_value=10**6).map(str),
                         st.decimals(allow_nan=False, allow_infinity=False, places=18,
                                     min_value=-(10**21), max_value=10**21).map(str),
                         st.decimals(allow_nan=False, allow_infinity=False).map(str))},
    # Known currencies mostly (the fast path takes them), now and then an unknown code (it gives up).
    optional={"currency": st.one_of(st.sampled_from(["EUR", "JPY", "USD", "GBP"]),
                                    st.from_regex(r"[A-Z0-9]{3,12}", fullmatch=True))},
)
plausible_entries = st.fixed_dictionaries(
    {"postings": st.lists(plausible_postings, min_size=2, max_size=3)},
    optional={"external_ref": st.one_of(st.from_regex(r"[\w\- ]{0,130}", fullmatch=True), st.sampled_from(ODD_TEXT)),
              "description": st.from_regex(r"\w[\w ]{0,18}\w", fullmatch=True),
              "metadata": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
              "value_date": st.one_of(st.dates().map(str), st.none()),
              "idempotency_key": st.one_of(st.from_regex(r"[\w#:-]{1,130}", fullmatch=True),
                                           st.sampled_from(ODD_TEXT))},
)
bodies = st.one_of(
    st.fixed_dictionaries({"entries": st.lists(plausible_entries, min_size=1, max_size=2)}),
    st.fixed_dictionaries({"entries": st.lists(plausible_entries, min_size=1, max_size=2)}),
    st.fixed_dictionaries({"entries": st.lists(entries, max_size=3)}),
    st.fixed_dictionaries(
        {"entries": st.one_of(st.none(), st.text(max_size=2), st.dictionaries(st.text(), st.integers()))}
    ),
    st.lists(st.integers(), max_size=2),
)


def _exact(value):
    """Decimals as their exact text (so "1.00" and "1.000" differ), containers recursively."""
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


@settings(max_examples=1000, deadline=None)
@given(bodies)
def test_whatever_the_fast_validator_accepts_the_serializer_accepts_identically(body):
    fast = validated_bulk(body)
    if fast is None:
        return
    serializer = BulkInputSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    assert _exact(fast) == _exact(serializer.validated_data["entries"])


def test_a_typical_batch_takes_the_fast_path():
    body = {"entries": [
        {"postings": [{"account_id": 1, "amount": "10.00", "currency": "EUR"}, {"account_id": 2, "amount": "-10.00"}],
         "external_ref": "R-1", "description": "Salary", "metadata": {"batch": 7}, "value_date": "2026-01-31",
         "idempotency_key": "k-1"},
        {"postings": [{"account_id": 1, "amount": "1"}, {"account_id": 3, "amount": "-1"}]},
    ]}

    fast = validated_bulk(body)

    serializer = BulkInputSerializer(data=body)
    assert serializer.is_valid()
    assert fast is not None
    assert _exact(fast) == _exact(serializer.validated_data["entries"])
    assert fast[0]["postings"][0]["amount"] == Decimal("10.00")
