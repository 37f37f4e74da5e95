"""The authorization matrix: every role against every KYC action through the API, allowed or
refused as designed; a refused action changes nothing.

A compliance reviewer acts as the application's assignee, so the object-level rule is met wherever
the role allows the action; object-level refusals are in test_permissions and test_api.
"""

import pytest

from backoffice.kyc import services
from backoffice.kyc.models import KycApplication
from tests import banking
from tests.core_banking.ledger.interfaces import staff_api, staff_user, token_api

from .conftest import PDF, draft, snapshot, upload

pytestmark = pytest.mark.django_db
BASE = "/api/v1/kyc/applications"

ROLES = ("operations", "compliance_reviewer", "compliance_officer", "support_agent", "finance", "administrator",
         "api_client")
# action -> (state to prepare, status expected after the action)
ACTIONS = {
    "create": (None, "draft"),
    "upload": ("draft", "draft"),
    "submit": ("draft", "submitted"),
    "assign": ("draft", "draft"),
    "start_review": ("submitted", "in_review"),
    "request_information": ("in_review", "information_requested"),
    "resubmit": ("information_requested", "resubmitted"),
    "approve": ("in_review", "approved"),
    "reject": ("in_review", "rejected"),
    "download": ("draft", "draft"),
    "read": ("draft", "draft"),
}
REVIEW = {"start_review", "request_information", "approve", "reject"}
ALLOWED = {
    "operations": {"create", "upload", "submit", "assign", "resubmit", "download", "read"},
    # The compliance roles open applications too (issue 16: a customer waiting for KYC is reviewable).
    "compliance_reviewer": {"create", "submit", "resubmit", *REVIEW, "download", "read"},
    "compliance_officer": {"create", "submit", "resubmit", "assign", *REVIEW, "download", "read"},
    "support_agent": {"read"},
    "finance": set(),
    "administrator": {"read"},
    "api_client": {"create", "upload", "submit", "resubmit", "read"},
}
MATRIX = [(role, action) for role in ROLES for action in ACTIONS]


def _prepare(customer, people, state, assignee):
    application = draft(customer, people.ops)
    if state != "draft":
        services.application_submit(application_id=application.pk, actor=people.ops)
    if assignee is not None:
        services.application_assign(application_id=application.pk, assignee_id=assignee.pk, actor=people.officer)
    if state in ("in_review", "information_requested"):
        services.application_start_review(application_id=application.pk, actor=people.officer)
    if state == "information_requested":
        services.application_request_information(application_id=application.pk, actor=people.officer,
                                                 reason="more please")
    return KycApplication.objects.get(pk=application.pk)


def _call(api, action, application, customer, people):
    if action == "create":
        return api.post(f"{BASE}/", {"customer": customer.pk}, format="json")
    url = f"{BASE}/{application.pk}/"
    if action == "read":
        return api.get(url)
    if action == "upload":
        return api.post(f"{url}documents/", {"type": "source_of_funds", "file": upload("funds.pdf")},
                        format="multipart")
    if action == "download":
        return api.get(f"{url}documents/{application.documents.first().pk}/download/")
    if action == "assign":
        return api.post(f"{url}assign/", {"assignee": people.other_reviewer.pk}, format="json")
    data = {"reason_code": "other", "reason": "matrix"} if action == "reject" else {"reason": "matrix"}
    return api.post(f"{url}{action.replace('_', '-')}/", data, format="json")


@pytest.mark.parametrize(("role", "action"), MATRIX, ids=[f"{r}-{a}" for r, a in MATRIX])
def test_api_matrix(role, action, people):
    customer = banking.customer(kyc="not_started")
    if role == "api_client":
        api, user = token_api(scopes=["kyc"]), None
    else:
        user = staff_user(role)
        api = staff_api(user)
    state, expected = ACTIONS[action]
    assignee = user if role == "compliance_reviewer" else None
    application = None if state is None else _prepare(customer, people, state, assignee)
    before = None if application is None else snapshot(application)
    response = _call(api, action, application, customer, people)
    allowed = action in ALLOWED[role]
    if allowed:
        assert response.status_code in (200, 201), response.content
        if action == "download":
            assert b"".join(response.streaming_content) == PDF
        elif action == "create":
            assert KycApplication.objects.filter(customer=customer, status=expected).exists()
        else:
            application.refresh_from_db()
            assert application.status == expected
            if action == "upload":
                assert application.documents.filter(type="source_of_funds").exists()
            if action == "assign":
                assert application.assignee_id == people.other_reviewer.pk
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] in ("permission_denied", "not_assignee")
        if application is None:
            assert not KycApplication.objects.filter(customer=customer).exists()
        else:
            assert snapshot(application) == before
