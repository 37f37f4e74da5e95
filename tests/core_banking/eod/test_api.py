"""The end-of-day API with the framework's test steps (conftest): list, detail, start and re-run
(202), the chunks of a run, the bank calendar, the refusals as problems, and who may call it
(a partner's token never, whatever its role and scopes). Tasks run in-process (eager), so a run
started through the API is over when the answer comes."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from core_banking.eod.models import EodRun
from tests.core_banking.api_auth import assert_problem, client_api, ensure_roles, staff_api, staff_user

from . import steps
from .conftest import FRIDAY

pytestmark = pytest.mark.django_db

BASE = "/api/v1/eod/"
RUNS = f"{BASE}runs/"
MONDAY = dt.date(2030, 1, 7)


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def ops():
    return staff_api(staff_user("operations"))


def start(api, day=FRIDAY):
    return api.post(RUNS, {"business_date": day.isoformat()}, format="json")


def fail_next_run(settings, population):
    settings.EOD_CHUNK_ATTEMPTS = 1
    steps.FAILURES[population[0].pk] = 1  # the flaky step's first chunk fails its only attempt


def test_staff_start_the_open_date_and_follow_the_run(eod_steps, population, ops):
    response = start(ops)
    assert response.status_code == 202, response.content
    assert response["Location"] == f"{RUNS}2030-01-04/"
    body = response.json()
    assert (body["business_date"], body["next_business_date"], body["status"], body["attempts"]) == (
        "2030-01-04", "2030-01-07", "completed", 1)
    assert (body["steps_total"], body["steps_completed"]) == (3, 3)
    credit = body["steps"][0]
    assert {k: credit[k] for k in ("position", "name", "label", "status", "population", "chunks_total",
                                   "chunks_done", "chunks_failed", "processed")} == {
        "position": 1, "name": "test.credit", "label": "Credit one euro", "status": "completed", "population": 10,
        "chunks_total": 4, "chunks_done": 4, "chunks_failed": 0, "processed": 10}
    assert credit["started_at"] and credit["finished_at"] and credit["seconds"] >= 0
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [("", "running"), ("running", "completed")]
    assert body["requested_by"] == body["history"][0]["actor"] is not None

    detail = ops.get(f"{RUNS}2030-01-04/")
    assert detail.status_code == 200 and detail.json() == body
    listing = ops.get(RUNS)
    assert listing.status_code == 200
    assert [r["business_date"] for r in listing.json()["results"]] == ["2030-01-04"]
    assert ops.get(RUNS, {"status": "failed"}).json()["results"] == []
    chunks = ops.get(f"{RUNS}2030-01-04/chunks/", {"step": "test.credit"}).json()["results"]
    assert [(c["step"], c["index"], c["size"], c["status"]) for c in chunks] == [
        ("test.credit", i, size, "done") for i, size in enumerate([3, 3, 3, 1])]

    # A completed date starts nothing: 200, the same run.
    again = start(ops)
    assert again.status_code == 200 and again.json()["attempts"] == 1
    assert EodRun.objects.count() == 1


def test_a_failed_run_shows_its_failed_chunks_blocks_the_next_date_and_re_runs(eod_steps, population, ops,
                                                                               settings):
    fail_next_run(settings, population)
    response = start(ops)
    assert response.status_code == 202 and response.json()["status"] == "failed"
    assert "test.flaky" in response.json()["error"]
    assert [r["business_date"] for r in ops.get(RUNS, {"status": "failed"}).json()["results"]] == ["2030-01-04"]
    failed = ops.get(f"{RUNS}2030-01-04/chunks/", {"status": "failed"}).json()["results"]
    assert len(failed) == 1
    assert (failed[0]["step"], failed[0]["index"], failed[0]["attempts"]) == ("test.flaky", 0, 1)
    assert "RuntimeError: flaky chunk starting at" in failed[0]["error"]

    body = assert_problem(start(ops, MONDAY), status=409, code="eod_previous_incomplete")
    assert (body["previous_business_date"], body["previous_status"]) == ("2030-01-04", "failed")

    steps.FAILURES.clear()
    rerun = start(ops)
    assert rerun.status_code == 202
    body = rerun.json()
    assert (body["status"], body["attempts"]) == ("completed", 2)
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [
        ("", "running"), ("running", "failed"), ("failed", "running"), ("running", "completed")]
    assert ops.get(f"{RUNS}2030-01-04/chunks/", {"status": "failed"}).json()["results"] == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 400, "validation_error"),
    ({"business_date": "someday"}, 400, "validation_error"),
    ({"business_date": "2031-01-01"}, 400, "eod_date_in_future"),
    ({"business_date": "2030-01-02"}, 409, "eod_date_not_open"),
])
def test_refusals_are_problems_and_start_nothing(eod_steps, population, ops, body, status, code):
    assert_problem(ops.post(RUNS, body, format="json"), status=status, code=code)
    assert not EodRun.objects.exists()


@pytest.mark.parametrize("url", [f"{RUNS}2030-01-04/", f"{RUNS}2030-01-04/chunks/", f"{RUNS}someday/",
                                 f"{RUNS}2030-02-30/chunks/"])
def test_a_date_without_a_run_is_not_found(eod_steps, population, ops, url):
    assert_problem(ops.get(url), status=404, code="eod_run_not_found")


def test_the_calendar_lists_business_dates_holidays_and_the_cut_off(eod_steps, population, ops, settings):
    settings.BANK_CUTOFF = "17:30"
    response = ops.get(f"{BASE}calendar/", {"from": "2029-12-31", "to": "2030-01-07"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["open_business_date"], body["cutoff"], body["next_business_date"], body["past_cutoff"]) == (
        "2030-01-04", "17:30", "2030-01-07", False)
    assert body["cutoff_at"].startswith("2030-01-04T17:30:00")
    assert (body["from"], body["to"]) == ("2029-12-31", "2030-01-07")
    days = {d["date"]: d for d in body["days"]}
    assert len(days) == 8
    assert days["2030-01-01"] == {"date": "2030-01-01", "weekday": 2, "business_day": False, "weekend": False,
                                  "holiday": True, "eod_status": None}  # TARGET2: New Year's Day
    assert [d["date"] for d in body["days"] if d["weekend"]] == ["2030-01-05", "2030-01-06"]
    assert [d["date"] for d in body["days"] if d["business_day"]] == [
        "2029-12-31", "2030-01-02", "2030-01-03", "2030-01-04", "2030-01-07"]
    start(ops)
    after = ops.get(f"{BASE}calendar/", {"from": "2030-01-04", "to": "2030-01-04"}).json()
    assert after["open_business_date"] == "2030-01-07" and after["days"][0]["eod_status"] == "completed"
    # No range: the open business date and the 31 days after it.
    default = ops.get(f"{BASE}calendar/").json()
    assert (default["from"], default["to"], len(default["days"])) == ("2030-01-07", "2030-02-07", 32)


@pytest.mark.parametrize("query", [{"from": "2030-01-07", "to": "2030-01-06"}, {"from": "2030-01-01",
                                                                              "to": "2031-01-02"},
                                   {"from": "soon"}])
def test_a_bad_calendar_range_is_refused(eod_steps, population, ops, query):
    assert_problem(ops.get(f"{BASE}calendar/", query), status=400, code="validation_error")


@pytest.mark.backoffice
def test_a_partner_token_is_refused_whatever_its_role_and_scopes(eod_steps, population):
    partner = client_api(role="operations", scopes=["eod"], kind="partner")
    for response in (partner.get(RUNS), partner.get(f"{BASE}calendar/"), partner.get(f"{RUNS}2030-01-04/"),
                     start(partner)):
        assert_problem(response, status=403, code="permission_denied")
    assert not EodRun.objects.exists()
    channel = client_api(role="operations", scopes=["eod"], kind="bank_channel")
    assert channel.get(RUNS).status_code == 200
    assert start(channel).status_code == 202
    run = EodRun.objects.get()
    assert run.requested_by_id == channel.user.pk


@pytest.mark.both
def test_a_token_needs_the_eod_scope_and_the_role_permissions(eod_steps, population):
    assert_problem(client_api(role="operations", scopes=["ledger"]).get(RUNS), status=403, code="permission_denied")
    baseline = client_api(role="api_client", scopes=["eod"])  # the partner baseline role holds no EOD permission
    assert_problem(baseline.get(RUNS), status=403, code="permission_denied")


@pytest.mark.backoffice
def test_staff_need_view_to_read_and_start_to_start(eod_steps, population):
    support = staff_api(staff_user("support_agent"))
    assert_problem(support.get(RUNS), status=403, code="permission_denied")
    assert_problem(support.get(f"{BASE}calendar/"), status=403, code="permission_denied")
    officer = staff_api(staff_user("compliance_officer"))
    assert officer.get(RUNS).status_code == 200
    assert_problem(start(officer), status=403, code="permission_denied")
    assert not EodRun.objects.exists()
    finance = staff_api(staff_user("finance"))
    assert start(finance).status_code == 202
    assert_problem(APIClient().get(RUNS), status=401, code="not_authenticated")


def test_the_schema_documents_the_eod_endpoints_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)
    paths = schema["paths"]
    start_op = paths["/api/v1/eod/runs/"]["post"]
    assert {"200", "202", "400", "401", "403", "409"} <= set(start_op["responses"])
    assert "201" not in start_op["responses"]
    assert "application/problem+json" in start_op["responses"]["409"]["content"]
    assert {"/api/v1/eod/runs/{business_date}/", "/api/v1/eod/runs/{business_date}/chunks/",
            "/api/v1/eod/calendar/"} <= set(paths)
    components = schema["components"]["schemas"]
    assert components["EodRunStatusEnum"]["enum"] == ["running", "completed", "failed"]
    assert components["EodStepStatusEnum"]["enum"] == ["pending", "running", "completed", "failed"]
    assert components["EodChunkStatusEnum"]["enum"] == ["pending", "running", "done", "failed"]


def test_the_cut_off_is_documented_as_hh_mm_not_as_an_rfc3339_time(eod_steps, population, ops):
    """Fuzz finding: `cutoff` ("18:00") was documented `format: time`, which is RFC 3339's full
    time with seconds and an offset; the answer broke its own schema. It is `HH:MM` by pattern."""
    import re

    from tests.openapi import openapi_schema

    documented = openapi_schema()["components"]["schemas"]["EodCalendar"]["properties"]["cutoff"]
    assert "format" not in documented and documented["type"] == "string"
    body = ops.get(f"{BASE}calendar/").json()
    assert re.fullmatch(documented["pattern"], body["cutoff"]), body["cutoff"]
    for wrong in ("18:00:00", "24:00", "8:00"):
        assert not re.fullmatch(documented["pattern"], wrong)
