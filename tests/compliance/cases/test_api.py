"""The compliance REST API: the queue, case detail, actions, problem codes, attachments, the
report export, partner tokens refused, and a schema without warnings."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from compliance.cases.models import Case
from tests.core_banking.ledger.interfaces import assert_problem, staff_api, token_api

from .conftest import held_payment, raise_alert

pytestmark = pytest.mark.django_db
BASE = "/api/v1/compliance/"


@pytest.fixture
def case(world):
    payment = held_payment(world)
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment, score=70)
    raise_alert(world.ada, "screen:1", source="screening", rule="EU-SANCTIONS", score=40,
                facts={"entry": "EU-7", "matched_name": "Ada Lovelace"})
    return Case.objects.get(pk=alert.case_id)


def test_queue_and_detail(case, people):
    api = staff_api(people.reviewer)
    listing = api.get(f"{BASE}cases/", {"ordering": "-score"})
    assert listing.status_code == 200, listing.content
    assert [c["number"] for c in listing.json()["results"]] == [case.number]
    assert listing.json()["results"][0]["age_bucket"] == "0-1d"
    assert api.get(f"{BASE}cases/", {"mine": "true"}).json()["results"] == []
    alerts = api.get(f"{BASE}alerts/", {"source": "monitoring", "min_score": 50}).json()["results"]
    assert len(alerts) == 1 and alerts[0]["payment_reference"]
    detail = api.get(f"{BASE}alerts/{alerts[0]['id']}/").json()
    assert detail["facts"] == {"amount": "1200.00", "threshold": "1000"}
    # the schema's required fields, outside the annotated queue too
    assert detail["age_bucket"] == alerts[0]["age_bucket"] and detail["age_bucket"]
    detail = api.get(f"{BASE}cases/{case.pk}/").json()
    assert detail["customer_profile"]["name"] == "Ada Lovelace"
    assert detail["customer_profile"]["date_of_birth"] == "1985-05-17"
    assert len(detail["alerts"]) == 2 and detail["payments"][0]["status"] == "pending_review"
    assert detail["screening_evidence"][0]["facts"]["entry"] == "EU-7"
    assert detail["may_work"] is False and detail["available_transitions"] == []
    assert detail["history"][0]["to_status"] == "open"
    assert_problem(api.get(f"{BASE}cases/999999/"), status=404, code="case_not_found")
    assert_problem(api.get(f"{BASE}alerts/999999/"), status=404, code="alert_not_found")
    assert_problem(api.get(f"{BASE}cases/", {"age": "forever"}), status=400, code="validation_error")


def test_actions_and_their_problem_codes(case, people):
    reviewer, officer = staff_api(people.reviewer), staff_api(people.officer)
    t = f"{BASE}cases/{case.pk}/transitions/"
    assert_problem(reviewer.post(t, {"action": "investigate"}, format="json"), status=403, code="not_assignee")
    claimed = reviewer.post(f"{BASE}cases/{case.pk}/assign/", {"assignee": people.reviewer.pk}, format="json")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "reviewer"
    assert_problem(reviewer.post(f"{BASE}cases/{case.pk}/assign/", {"assignee": people.other_reviewer.pk},
                                 format="json"), status=403, code="permission_denied")
    response = reviewer.post(t, {"action": "investigate"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "investigating"
    assert {x["action"] for x in response.json()["available_transitions"]} == {"escalate", "close_no_action"}
    assert_problem(reviewer.post(t, {"action": "investigate"}, format="json"), status=409,
                   code="transition_not_allowed")
    assert_problem(reviewer.post(t, {"action": "close_no_action"}, format="json"), status=400,
                   code="reason_required")
    assert_problem(reviewer.post(t, {"action": "close_no_action", "reason": "fine"}, format="json"), status=409,
                   code="alerts_undecided")
    assert_problem(reviewer.post(t, {"action": "report"}, format="json"), status=403, code="permission_denied")
    assert_problem(officer.post(t, {"action": "report"}, format="json"), status=409, code="report_not_filed")
    note = reviewer.post(f"{BASE}cases/{case.pk}/notes/", {"text": "called the customer"}, format="json")
    assert note.status_code == 201 and note.json()["author"] == "reviewer"
    assert_problem(reviewer.post(f"{BASE}cases/{case.pk}/notes/", {"text": ""}, format="json"), status=400,
                   code="invalid_note")
    alert_ids = [a["id"] for a in reviewer.get(f"{BASE}cases/{case.pk}/").json()["alerts"]]
    decide = f"{BASE}alerts/{alert_ids[0]}/decide/"
    assert_problem(reviewer.post(decide, {"decision": "clear", "note": ""}, format="json"), status=400,
                   code="reason_required")
    decided = reviewer.post(decide, {"decision": "clear", "note": "known supplier"}, format="json")
    assert decided.status_code == 200 and decided.json()["payment_action"] == "released"
    assert_problem(reviewer.post(decide, {"decision": "clear", "note": "again"}, format="json"), status=409,
                   code="alert_already_decided")
    reviewer.post(f"{BASE}alerts/{alert_ids[1]}/decide/", {"decision": "clear", "note": "namesake"}, format="json")
    report = f"{BASE}cases/{case.pk}/report/"
    assert_problem(reviewer.post(report, {"narrative": "x"}, format="json"), status=403, code="permission_denied")
    assert_problem(officer.get(report), status=404, code="report_not_found")
    filed = officer.post(report, {"narrative": "Round-tripping"}, format="json")
    assert filed.status_code == 201, filed.content
    export = officer.get(report)
    assert export.status_code == 200 and export["Content-Type"].startswith("application/json")
    assert export["X-Content-SHA256"] == filed.json()["sha256"]
    assert json.loads(export.content)["narrative"] == "Round-tripping"
    assert_problem(reviewer.get(report), status=403, code="permission_denied")
    assert_problem(officer.post(f"{BASE}cases/{case.pk}/notes/", {"text": "late"}, format="json"), status=409,
                   code="case_closed")


def test_attachments_are_streamed_only_to_who_may_work_the_case(case, people, private_storage):
    officer, reviewer = staff_api(people.officer), staff_api(people.reviewer)
    upload = SimpleUploadedFile("statement.csv", b"date,amount\n2026-01-01,1200.00\n", content_type="text/csv")
    created = officer.post(f"{BASE}cases/{case.pk}/attachments/", {"file": upload, "description": "bank stmt"},
                           format="multipart")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["size"] == 31 and body["content_type"] == "text/csv" and len(body["sha256"]) == 64
    assert any(private_storage.rglob("*.csv"))
    url = f"{BASE}cases/{case.pk}/attachments/{body['id']}/download/"
    download = officer.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"date,amount")
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Type"] == "application/octet-stream"  # as documented; the upload's type is metadata
    assert_problem(reviewer.get(url), status=403, code="not_assignee")
    assert reviewer.get(f"{BASE}cases/{case.pk}/").json()["attachments"] == []
    assert_problem(staff_api(people.support).get(url), status=403, code="permission_denied")
    assert_problem(officer.get(f"{BASE}cases/{case.pk}/attachments/999999/download/"), status=404,
                   code="attachment_not_found")
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    assert_problem(officer.post(f"{BASE}cases/{case.pk}/attachments/", {"file": bad}, format="multipart"),
                   status=400, code="unsupported_attachment_type")
    services_case = Case.objects.get(pk=case.pk)
    from compliance.cases import services

    services.case_assign(case_id=services_case.pk, assignee=people.reviewer, actor=people.officer)
    assert b"".join(staff_api(people.reviewer).get(url).streaming_content).startswith(b"date,amount")


def test_who_gets_through_the_door(case, people):
    for user in (people.support, people.ops, people.admin):
        assert_problem(staff_api(user).get(f"{BASE}cases/"), status=403, code="permission_denied")
    bank_channel = token_api(role="compliance_officer", scopes=["compliance"])
    assert bank_channel.get(f"{BASE}cases/").status_code == 200
    no_scope = token_api(role="compliance_officer", scopes=["payments"])
    assert_problem(no_scope.get(f"{BASE}cases/"), status=403, code="permission_denied")
    partner = token_api(role="compliance_officer", scopes=["compliance"], kind="partner")
    for response in (partner.get(f"{BASE}cases/"), partner.get(f"{BASE}alerts/"),
                     partner.get(f"{BASE}cases/{case.pk}/"),
                     partner.post(f"{BASE}cases/{case.pk}/transitions/", {"action": "escalate"}, format="json")):
        assert_problem(response, status=403, code="permission_denied")
    assert Case.objects.get(pk=case.pk).status == "open"


def test_the_schema_of_these_views_has_no_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/compliance/", include("compliance.cases.api.urls"))]).get_schema(
        request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    assert "/api/v1/compliance/cases/{case_id}/report/" in schema["paths"]
