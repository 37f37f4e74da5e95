"""The KYC REST API: problem codes, uploads and downloads, object-level refusals, the schema."""

import pytest
from django.urls import reverse

from backoffice.kyc import services
from backoffice.kyc.models import KycApplication
from tests.core_banking.ledger.interfaces import assert_problem, staff_api, token_api

from .conftest import PDF, PNG, add_document, draft, in_review, snapshot, upload

pytestmark = pytest.mark.django_db
BASE = "/api/v1/kyc/applications"


def test_create_upload_submit_and_read_through_the_api(ada, people):
    api = staff_api(people.ops)
    response = api.post(f"{BASE}/", {"customer": ada.pk, "product_kind": "current"}, format="json")
    assert response.status_code == 201, response.content
    app_id = response.json()["id"]
    assert response.json()["status"] == "draft"
    response = api.post(f"{BASE}/{app_id}/documents/", {"type": "passport", "expiry_date": "2099-01-01",
                                                         "file": upload("pass.pdf")}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf"
    response = api.post(f"{BASE}/{app_id}/documents/", {"type": "proof_of_address",
                                                         "file": upload("bill.png", PNG, "image/png")},
                        format="multipart")
    assert response.status_code == 201, response.content
    body = api.post(f"{BASE}/{app_id}/submit/", {}, format="json").json()
    assert body["status"] == "submitted"
    assert body["risk_score"] == 5 and body["risk_rating"] == "low"
    assert {c["code"]: c["outcome"] for c in body["checks"]}["required_documents"] == "pass"
    assert [d["type"] for d in body["documents"]] == ["passport", "proof_of_address"]
    assert [h["action"] for h in body["history"]][-1] == "submit"
    listed = api.get(f"{BASE}/", {"status": "submitted"}).json()
    assert [a["id"] for a in listed["results"]] == [app_id]
    assert api.get(f"{BASE}/", {"status": "approved"}).json()["results"] == []


def test_problem_codes(ada, people):
    application = in_review(ada, people)
    assert_problem(staff_api(people.other_reviewer).post(f"{BASE}/{application.pk}/approve/", {}, format="json"),
                   status=403, code="not_assignee")
    reviewer = staff_api(people.reviewer)
    assert_problem(reviewer.post(f"{BASE}/{application.pk}/resubmit/", {}, format="json"),
                   status=409, code="transition_not_allowed")
    assert_problem(reviewer.post(f"{BASE}/{application.pk}/request-information/", {}, format="json"),
                   status=400, code="reason_required")
    assert_problem(reviewer.post(f"{BASE}/{application.pk}/reject/", {"reason_code": "bogus"}, format="json"),
                   status=400, code="validation_error")
    assert_problem(reviewer.get(f"{BASE}/999999/"), status=404, code="kyc_application_not_found")
    assert_problem(staff_api(people.ops).post(f"{BASE}/", {"customer": ada.pk}, format="json"),
                   status=409, code="kyc_application_open")
    assert KycApplication.objects.get(pk=application.pk).status == "in_review"


def test_a_reviewer_sees_only_their_transitions(ada, people):
    application = in_review(ada, people)
    mine = staff_api(people.reviewer).get(f"{BASE}/{application.pk}/").json()
    theirs = staff_api(people.other_reviewer).get(f"{BASE}/{application.pk}/").json()
    assert [t["action"] for t in mine["available_transitions"]] == ["request_information", "approve", "reject"]
    assert theirs["available_transitions"] == []
    assert theirs["documents"] == []  # not their case: no documents either


def test_upload_validation_through_the_api(ada, people):
    application = draft(ada, people.ops, docs=[])
    api = staff_api(people.ops)
    before = snapshot(application)
    bad = api.post(f"{BASE}/{application.pk}/documents/", {"type": "proof_of_address",
                                                           "file": upload("bill.html", b"<html>", "text/html")},
                   format="multipart")
    assert_problem(bad, status=400, code="unsupported_document_type")
    big = upload("scan.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    assert_problem(api.post(f"{BASE}/{application.pk}/documents/", {"type": "proof_of_address", "file": big},
                            format="multipart"), status=400, code="document_too_large")
    assert snapshot(application) == before


def test_download_streams_the_file_only_to_those_who_may_see_it(ada, people):
    application = in_review(ada, people)
    document = application.documents.get(type="passport")
    url = f"{BASE}/{application.pk}/documents/{document.pk}/download/"
    for user in (people.reviewer, people.officer, people.ops):
        response = staff_api(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Cache-Control"] == "private, no-store"
    assert_problem(staff_api(people.support).get(url), status=403, code="permission_denied")
    assert_problem(staff_api(people.other_reviewer).get(url), status=403, code="not_assignee")
    assert_problem(staff_api(people.reviewer).get(f"{BASE}/{application.pk}/documents/999999/download/"),
                   status=404, code="kyc_document_not_found")
    other = draft(ada.__class__.objects.create(number="X1", type="person", first_name="A", last_name="B"),
                  people.ops, docs=["proof_of_address"])
    foreign = other.documents.get()
    assert_problem(staff_api(people.reviewer).get(f"{BASE}/{application.pk}/documents/{foreign.pk}/download/"),
                   status=404, code="kyc_document_not_found")


def test_documents_have_no_public_url(ada, people):
    application = draft(ada, people.ops, docs=[])
    document = add_document(application, people.ops, "proof_of_address")
    assert not document.file.name.startswith("media/")
    body = staff_api(people.ops).get(f"{BASE}/{application.pk}/").json()
    assert "file" not in body["documents"][0] and "url" not in body["documents"][0]


def test_a_token_needs_the_kyc_scope(ada, people):
    assert_problem(token_api(scopes=["ledger"]).get(f"{BASE}/"), status=403, code="permission_denied")
    api = token_api(scopes=["kyc"])
    response = api.post(f"{BASE}/", {"customer": ada.pk}, format="json")
    assert response.status_code == 201, response.content


def test_the_schema_documents_the_kyc_api():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/kyc/")]
    assert "/api/v1/kyc/applications/{application_id}/documents/{document_id}/download/" in paths
    assert len(paths) == 11
    assert reverse("kyc:application-approve", args=[1]) == "/api/v1/kyc/applications/1/approve/"


def test_approval_through_the_api_sets_the_customer_status(ada, people):
    application = in_review(ada, people)
    body = staff_api(people.reviewer).post(f"{BASE}/{application.pk}/approve/", {"reason": "ok"},
                                           format="json").json()
    assert body["status"] == "approved"
    ada.refresh_from_db()
    assert ada.kyc_status == "approved"
    services.open_periodic_reviews()
    assert KycApplication.objects.filter(customer=ada).count() == 1


def test_a_downloaded_image_is_answered_with_a_documented_content_type(ada, people):
    """Fuzz finding: a PNG passport scan was answered `image/png`, the schema said only
    `application/octet-stream`; every stored content type is documented now."""
    from backoffice.kyc.models import DOCUMENT_CONTENT_TYPES
    from tests.openapi import assert_documented, operation

    path = "/api/v1/kyc/applications/{application_id}/documents/{document_id}/download/"
    assert set(operation("GET", path)["responses"]["200"]["content"]) == set(DOCUMENT_CONTENT_TYPES)
    application = draft(ada, people.ops, docs=[])
    document = add_document(application, people.ops, "passport", name="scan.png", content=PNG,
                            content_type="image/png")
    response = staff_api(people.ops).get(f"{BASE}/{application.pk}/documents/{document.pk}/download/")
    assert response["Content-Type"] == "image/png"
    assert_documented(response, "GET", path)


def test_opening_an_application_for_an_unknown_customer_is_a_documented_404(people):
    """Fuzz finding: `customer_not_found` (404) was not among the documented answers."""
    from tests.openapi import assert_documented

    response = staff_api(people.ops).post(f"{BASE}/", {"customer": 2**62}, format="json")
    assert_problem(response, status=404, code="customer_not_found")
    assert_documented(response, "POST", "/api/v1/kyc/applications/")
