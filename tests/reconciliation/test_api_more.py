"""The REST additions: break detail, assign, investigate, the list filters, the ageing report,
the safeguarding filters and CSV export, manual match / confirm / unmatch refusals as
problem+json with stable codes, and the schema of these views."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from core_banking.audit.models import AuditEvent
from reconciliation.models import Break, Match, SafeguardingCheck
from reconciliation.services import breaks_detect, statement_import
from tests.core_banking.ledger.interfaces import ensure_roles, staff_api, staff_user

from .conftest import external_account, post

pytestmark = pytest.mark.django_db

BASE = "/api/v1/reconciliation/"
MAPPING = {"date": "date", "amount": "amount", "reference": "ref"}


@pytest.fixture
def people(db):
    ensure_roles()
    return SimpleNamespace(finance=staff_user("finance"), ops=staff_user("operations"),
                           support=staff_user("support_agent"))


@pytest.fixture
def account(db):
    return external_account("NL00API0000000001", csv_mapping=MAPPING)


def lines(account, rows, *, automatch=False):
    text = "date,amount,ref\n" + "".join(f"{d.isoformat()},{a},{r}\n" for d, a, r in rows)
    return list(statement_import(external_account=account, file=text.encode(), format="csv", actor=None,
                                 automatch=automatch).statements[0].lines.order_by("position"))


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    return response.json()


@pytest.fixture
def aged_breaks(account):
    today = timezone.localdate()
    lines(account, [(today - dt.timedelta(days=days), amount, "") for days, amount in
                    [(1, "10.00"), (5, "-2.50"), (10, "7.00"), (40, "100.00"), (45, "-50.00")]])
    breaks_detect(as_of=today, older_than_days=0)
    return {b.amount: b for b in Break.objects.all()}


def test_break_detail_assign_and_investigate(people, aged_breaks):
    ops = staff_api(people.ops)
    brk = aged_breaks[Decimal("10.00")]
    investigated = ops.post(f"{BASE}breaks/{brk.pk}/investigate/", {"note": "asked the bank"}, format="json")
    assert investigated.status_code == 200 and investigated.json()["status"] == "investigating"
    assert_problem(ops.post(f"{BASE}breaks/{brk.pk}/investigate/", {}, format="json"), 409, "transition_not_allowed")
    assigned = ops.post(f"{BASE}breaks/{brk.pk}/assign/", {"owner": people.ops.pk, "root_cause": "timing",
                                                           "note": "value date next day"}, format="json")
    assert assigned.status_code == 200
    assert (assigned.json()["owner"], assigned.json()["root_cause"], assigned.json()["age_bucket"]) == (
        people.ops.pk, "timing", "0-2d")
    assert_problem(ops.post(f"{BASE}breaks/{brk.pk}/assign/", {"owner": people.support.pk}, format="json"),
                   422, "invalid_owner")
    assert_problem(ops.post(f"{BASE}breaks/{brk.pk}/assign/", {"root_cause": "gremlins"}, format="json"),
                   400, "validation_error")
    detail = ops.get(f"{BASE}breaks/{brk.pk}/").json()
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in detail["history"]] == [
        ("open", "investigating", "asked the bank")]
    assert (detail["owner"], detail["root_cause"], detail["note"]) == (people.ops.pk, "timing", "value date next day")
    assert AuditEvent.objects.filter(action="reconciliation.break_assigned", object_id=str(brk.pk),
                                     actor=people.ops).count() == 1
    assert_problem(ops.get(f"{BASE}breaks/999999/"), 404, "not_found")
    assert_problem(ops.post(f"{BASE}breaks/999999/investigate/", {}, format="json"), 404, "break_not_found")
    # Operations works breaks but may not write them off (finance).
    assert_problem(ops.post(f"{BASE}breaks/{brk.pk}/write-off/", {"reason": "x"}, format="json"), 403,
                   "permission_denied")
    support = staff_api(people.support)
    assert_problem(support.post(f"{BASE}breaks/{brk.pk}/assign/", {}, format="json"), 403, "permission_denied")
    written = staff_api(people.finance).post(f"{BASE}breaks/{brk.pk}/write-off/", {"reason": "timing, cleared"},
                                             format="json")
    assert written.status_code == 200 and written.json()["status"] == "written_off"
    assert_problem(ops.post(f"{BASE}breaks/{brk.pk}/assign/", {"owner": people.ops.pk}, format="json"), 409,
                   "transition_not_allowed")


def test_break_list_filters(people, aged_breaks):
    api = staff_api(people.finance)
    old = api.get(f"{BASE}breaks/", {"age": "over-30d"}).json()["results"]
    assert sorted(Decimal(b["amount"]) for b in old) == [Decimal("-50.00"), Decimal("100.00")]
    assert {b["age_bucket"] for b in old} == {"over-30d"}
    brk = aged_breaks[Decimal("7.00")]
    api.post(f"{BASE}breaks/{brk.pk}/assign/", {"owner": people.ops.pk, "root_cause": "bank_fee"}, format="json")
    assert [b["id"] for b in api.get(f"{BASE}breaks/", {"root_cause": "bank_fee"}).json()["results"]] == [brk.pk]
    assert [b["id"] for b in api.get(f"{BASE}breaks/", {"owner": people.ops.pk}).json()["results"]] == [brk.pk]
    assert len(api.get(f"{BASE}breaks/", {"root_cause": "unknown"}).json()["results"]) == 4
    assert len(api.get(f"{BASE}breaks/", {"status": "investigating"}).json()["results"]) == 1
    assert_problem(api.get(f"{BASE}breaks/", {"age": "ancient"}), 400, "validation_error")


def test_ageing_report(people, aged_breaks):
    api = staff_api(people.ops)
    body = api.get(f"{BASE}breaks/ageing/").json()
    assert body["as_of"] == timezone.localdate().isoformat()
    assert body["buckets"] == ["0-2d", "3-7d", "8-30d", "over-30d"]
    assert body["rows"] == [
        {"currency": "EUR", "status": "open", "bucket": "0-2d", "count": 1, "amount": "10.00", "net": "10.00"},
        {"currency": "EUR", "status": "open", "bucket": "3-7d", "count": 1, "amount": "2.50", "net": "-2.50"},
        {"currency": "EUR", "status": "open", "bucket": "8-30d", "count": 1, "amount": "7.00", "net": "7.00"},
        {"currency": "EUR", "status": "open", "bucket": "over-30d", "count": 2, "amount": "150.00", "net": "50.00"},
    ]
    staff_api(people.finance).post(f"{BASE}breaks/{aged_breaks[Decimal('100.00')].pk}/write-off/",
                                   {"reason": "duplicate booking at the bank"}, format="json")
    outstanding = api.get(f"{BASE}breaks/ageing/").json()["rows"]
    assert outstanding[-1] == {"currency": "EUR", "status": "open", "bucket": "over-30d", "count": 1,
                               "amount": "50.00", "net": "-50.00"}
    everything = api.get(f"{BASE}breaks/ageing/", {"include_closed": "true"}).json()["rows"]
    assert everything[-1] == {"currency": "EUR", "status": "written_off", "bucket": "over-30d", "count": 1,
                              "amount": "100.00", "net": "100.00"}
    other = external_account("NL00API0000000002")
    assert api.get(f"{BASE}breaks/ageing/", {"external_account": other.pk}).json()["rows"] == []
    assert_problem(staff_api(people.support).get(f"{BASE}breaks/ageing/"), 403, "permission_denied")


def test_safeguarding_filters_and_csv_export(people):
    for day, client_money, safeguarded, outcome in [(1, "100.00", "80.00", "shortfall"), (2, "100.00", "100",
                                                                                            "ok"),
                                                    (3, "90.10", "100.00", "excess")]:
        SafeguardingCheck.objects.create(date=dt.date(2024, 3, day), currency_id="EUR",
                                         client_money=Decimal(client_money), safeguarded=Decimal(safeguarded),
                                         difference=Decimal(safeguarded) - Decimal(client_money), outcome=outcome)
    api = staff_api(people.ops)
    listing = api.get(f"{BASE}safeguarding/", {"outcome": "shortfall"}).json()["results"]
    assert [(c["date"], c["outcome"]) for c in listing] == [("2024-03-01", "shortfall")]
    export = api.get(f"{BASE}safeguarding/export.csv", {"date_from": "2024-03-02"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    assert export.content.decode().splitlines() == [
        "date,currency,client_money,safeguarded,difference,outcome",
        "2024-03-03,EUR,90.10,100.00,9.90,excess",
        "2024-03-02,EUR,100.00,100.00,0.00,ok",
    ]
    assert len(api.get(f"{BASE}safeguarding/export.csv").content.decode().splitlines()) == 4
    body = assert_problem(api.get(f"{BASE}safeguarding/export.csv", {"date_from": "2024-03-05",
                                                                     "date_to": "2024-03-01"}),
                          400, "validation_error")
    assert "date_to" in body["errors"]
    assert_problem(staff_api(people.support).get(f"{BASE}safeguarding/export.csv"), 403, "permission_denied")


def test_manual_match_confirm_and_unmatch_refusals_are_problems(people, account, contra):
    nostro = account.ledger_account
    p1 = post(nostro, contra, "10.00", value_date=dt.date(2024, 3, 1))
    p2 = post(nostro, contra, "10.00", value_date=dt.date(2024, 3, 2))
    [line] = lines(account, [(dt.date(2024, 3, 1), "10.00", "")], automatch=True)
    api = staff_api(people.ops)
    suggestions = api.get(f"{BASE}matches/", {"state": "suggested"}).json()["results"]
    assert sorted(m["postings"][0] for m in suggestions) == [p1.pk, p2.pk]
    assert_problem(api.post(f"{BASE}matches/", {"line_ids": [line.pk], "posting_ids": [p1.pk, p2.pk]},
                            format="json"), 422, "match_amounts_differ")
    chosen = next(m for m in suggestions if m["postings"] == [p2.pk])
    confirmed = api.post(f"{BASE}matches/{chosen['id']}/confirm/")
    assert confirmed.status_code == 201 and confirmed.json()["rule"] == "manual"
    assert_problem(api.post(f"{BASE}matches/{chosen['id']}/confirm/"), 404, "suggestion_not_found")
    assert_problem(api.post(f"{BASE}matches/", {"line_ids": [line.pk], "posting_ids": [p1.pk]}, format="json"),
                   409, "already_matched")
    match_id = confirmed.json()["id"]
    assert_problem(api.post(f"{BASE}matches/{match_id}/unmatch/", {"reason": ""}, format="json"), 400,
                   "validation_error")
    undone = api.post(f"{BASE}matches/{match_id}/unmatch/", {"reason": "wrong day"}, format="json")
    assert undone.status_code == 200 and undone.json()["state"] == "unmatched"
    assert_problem(api.post(f"{BASE}matches/{match_id}/unmatch/", {"reason": "again"}, format="json"), 409,
                   "transition_not_allowed")
    assert Match.objects.get(pk=match_id).unmatch_reason == "wrong day"


def test_upload_refusals_are_problems_with_stable_codes(people, account):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = staff_api(people.ops)
    empty = api.post(f"{BASE}statements/", {"external_account": account.pk,
                                            "file": SimpleUploadedFile("e.csv", b"x")}, format="multipart")
    assert empty.status_code in (400, 422) and empty["Content-Type"].startswith("application/problem+json")
    good = b"date,amount,ref\n2024-03-01,1.00,A\n"
    assert api.post(f"{BASE}statements/", {"external_account": account.pk, "format": "csv",
                                           "file": SimpleUploadedFile("a.csv", good)}, format="multipart"
                    ).status_code == 201
    overlap = api.post(f"{BASE}statements/", {"external_account": account.pk, "format": "csv",
                                              "file": SimpleUploadedFile("b.csv", good + b"2024-03-01,2.00,B\n")},
                       format="multipart")
    assert_problem(overlap, 409, "statement_overlap")


def test_the_schema_of_the_reconciliation_views_has_no_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/reconciliation/", include("reconciliation.api.urls"))]
                             ).get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    paths = schema["paths"]
    for route in ("breaks/ageing/", "breaks/{break_id}/", "breaks/{break_id}/assign/",
                  "breaks/{break_id}/investigate/", "safeguarding/export.csv"):
        assert f"/api/v1/reconciliation/{route}" in paths, route
    export = paths["/api/v1/reconciliation/safeguarding/export.csv"]["get"]["responses"]
    assert "text/csv" in export["200"]["content"] and "application/problem+json" in export["403"]["content"]
    assert "application/problem+json" in paths["/api/v1/reconciliation/breaks/{break_id}/assign/"]["post"][
        "responses"]["409"]["content"]


def test_an_unknown_format_is_a_400_naming_the_parameter_not_a_404(people):
    """Fuzz finding: `?format=AAA` on the CSV export answered DRF's `404 not_found` (as if the
    resource were missing), a status the operation does not document."""
    from tests.openapi import assert_documented

    response = staff_api(people.ops).get(f"{BASE}safeguarding/export.csv", {"format": "AAA"})
    body = assert_problem(response, 400, "validation_error")
    assert "format" in body["errors"]
    assert_documented(response, "GET", "/api/v1/reconciliation/safeguarding/export.csv")
    assert staff_api(people.ops).get(f"{BASE}safeguarding/export.csv", {"format": "csv"}).status_code == 200
