"""The API's front door and its error format: hostile bodies are refused before any parser, and
every error under /api/ is problem+json whatever the Accept header (issue 17's findings)."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core_banking.common.api.guard import json_problem_path
from core_banking.ledger.models import JournalEntry
from tests.core_banking.api_auth import assert_problem, client_api, ensure_roles, staff_user
from tests.core_banking.ledger.conftest import make_account

pytestmark = pytest.mark.django_db
ENTRIES = "/api/v1/ledger/entries/"


@pytest.fixture
def poster(db):
    ensure_roles()
    return client_api(role="finance", scopes=["ledger"])


def raw_post(api, body: bytes, *, content_type="application/json", key="k-1", **extra):
    return api.generic("POST", ENTRIES, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY=key, **extra)


def entry(metadata=None) -> dict:
    a, b = make_account(), make_account()
    return {"postings": [{"account_id": a.pk, "amount": "1.00"}, {"account_id": b.pk, "amount": "-1.00"}],
            "metadata": metadata or {}}


def test_json_nested_a_thousand_levels_deep_is_refused_not_a_500(poster):
    body = b"[" * 1000 + b"]" * 1000
    body_problem = assert_problem(raw_post(poster, body), status=400, code="json_too_deep")
    assert body_problem["field"] == "(body)"
    nested = json.dumps({"postings": [], "metadata": {"a": json.loads("[" * 40 + "]" * 40)}}).encode()
    assert assert_problem(raw_post(poster, nested), status=400, code="json_too_deep")["field"].startswith("metadata.a")
    assert not JournalEntry.objects.exists()


def test_a_reasonable_nesting_passes_the_guard(poster):
    deep_enough = entry({"a": {"b": {"c": [1, [2, [3]]]}}})
    response = poster.post(ENTRIES, deep_enough, format="json", HTTP_IDEMPOTENCY_KEY="ok-1")
    assert response.status_code == 201, response.content


def test_a_nul_character_in_metadata_is_refused_not_a_database_error(poster):
    body = entry({"note": "a\u0000b"})
    problem = assert_problem(poster.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="n-1"), status=400,
                             code="invalid_character")
    assert problem["field"] == "metadata.note"
    keyed = entry({"bad\u0000key": "x"})
    assert assert_problem(poster.post(ENTRIES, keyed, format="json", HTTP_IDEMPOTENCY_KEY="n-2"), status=400,
                          code="invalid_character")["field"] == "metadata.bad\x00key"
    assert_problem(poster.get(ENTRIES + "?external_ref=a%00b"), status=400, code="invalid_character")
    assert not JournalEntry.objects.exists()


@override_settings(API_MAX_BODY_BYTES=10_000)
def test_an_oversized_body_is_a_413_problem_unread(poster):
    body = json.dumps({"postings": [], "metadata": {"blob": "x" * 20_000}}).encode()
    problem = assert_problem(raw_post(poster, body), status=413, code="request_too_large")
    assert problem["limit"] == 10_000


def test_a_5mb_body_is_a_413_problem_by_default(poster):
    body = b'{"postings": [], "metadata": {"blob": "' + b"x" * (5 * 1024 * 1024) + b'"}}'
    assert_problem(raw_post(poster, body), status=413, code="request_too_large")


@pytest.mark.backoffice
@pytest.mark.parametrize(("accept", "status", "code"), [
    ("text/html", 400, "validation_error"), ("*/*", 400, "validation_error"),
    ("text/html,application/xhtml+xml", 400, "validation_error"), ("application/yaml", 406, "not_acceptable")])
def test_errors_are_problem_json_whatever_the_accept_header(poster, accept, status, code):
    response = poster.post(ENTRIES, {"postings": "nope"}, format="json", HTTP_IDEMPOTENCY_KEY="a-1",
                           HTTP_ACCEPT=accept)
    assert_problem(response, status=status, code=code)
    assert_problem(poster.get("/api/v1/no-such-thing/", HTTP_ACCEPT=accept), status=404, code="not_found")
    if status == 406:
        return
    assert_problem(APIClient().get(ENTRIES, HTTP_ACCEPT=accept), status=401, code="not_authenticated")


def test_an_unknown_host_is_a_problem_under_the_api():
    response = APIClient().get("/api/v1/ledger/entries/", HTTP_HOST="evil.example")
    assert_problem(response, status=400, code="bad_request")


@pytest.mark.backoffice
def test_a_unicode_digit_as_an_id_is_refused_not_a_500(db):
    from backoffice.approvals.action_type import integer as _int
    from core_banking.common.errors import DomainError

    with pytest.raises(DomainError):
        _int({"account_id": "²"}, "account_id")
    staff = staff_user("operations")
    assert staff is not None


def test_the_walk_finds_depth_and_nul_without_recursion():
    deep: list = []
    cursor = deep
    for _ in range(5000):
        cursor.append([])
        cursor = cursor[0]
    assert json_problem_path(deep, 32)[0] == "depth"
    assert json_problem_path({"a": [{"b": "x\x00"}]}, 32) == ("nul", "a[0].b")
    assert json_problem_path({"a": [1, 2, {"b": "ok"}]}, 32) is None


@pytest.mark.backoffice
def test_options_on_a_collection_describes_it_instead_of_403(db):
    ensure_roles()
    reader = client_api(scopes=["ledger"])  # may read, may not post
    response = reader.options(ENTRIES)
    assert response.status_code == 200, response.content
    assert "POST" in response["Allow"] and "GET" in response["Allow"]
    assert_problem(APIClient().options(ENTRIES), status=401, code="not_authenticated")


def test_the_bulk_route_reads_its_larger_body_and_checks_it_the_same_way(poster):
    a, b = make_account(), make_account()
    item = {"postings": [{"account_id": a.pk, "amount": "1.00"}, {"account_id": b.pk, "amount": "-1.00"}],
            "metadata": {"pad": "p" * 3000}}
    nul = {**item, "metadata": {"pad": "p" * 3000, "note": "x\u0000"}}
    big = json.dumps({"entries": [item] * 900 + [nul]}).encode()
    assert len(big) > 2.5 * 1024 * 1024  # past what the middleware pre-reads
    response = poster.generic("POST", ENTRIES + "bulk/", big, content_type="application/json",
                              HTTP_IDEMPOTENCY_KEY="bulk-nul")
    assert assert_problem(response, status=400, code="invalid_character")["field"] == "entries[900].metadata.note"
    deep = json.dumps({"entries": [item] * 900 + [{**item, "metadata": json.loads("[" * 40 + "]" * 40)}]})
    response = poster.generic("POST", ENTRIES + "bulk/", deep.encode(), content_type="application/json",
                              HTTP_IDEMPOTENCY_KEY="bulk-deep")
    assert_problem(response, status=400, code="json_too_deep")
    assert not JournalEntry.objects.exists()


@pytest.mark.both
def test_money_moving_writes_have_their_own_rate(poster, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "1000/minute", "anon": "1000/minute",
                                                               "money": "2/minute"})
    statuses = [poster.post(ENTRIES, entry(), format="json", HTTP_IDEMPOTENCY_KEY=f"m-{n}").status_code
                for n in range(2)]
    refused = poster.post(ENTRIES, entry(), format="json", HTTP_IDEMPOTENCY_KEY="m-3")
    assert statuses == [201, 201]
    assert_problem(refused, status=429, code="throttled")
    assert int(refused["Retry-After"]) > 0
    assert poster.get(ENTRIES).status_code == 200  # reads are not money writes
    assert JournalEntry.objects.count() == 2


def test_a_nul_in_the_query_string_of_a_read_is_a_documented_400(poster):
    """Fuzz finding: reads documented no 400, yet the front door answers one for `%00`."""
    from tests.openapi import assert_documented

    response = poster.get("/api/v1/ledger/accounts/?name%00=x")
    assert_problem(response, status=400, code="invalid_character")
    assert_documented(response, "GET", "/api/v1/ledger/accounts/")
