"""The admin: read-only applications with a workflow panel calling the services."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from backoffice.kyc.models import KycApplication
from tests.core_banking.ledger.interfaces import sign_in

from .conftest import in_review, snapshot

pytestmark = pytest.mark.django_db
PAGE = "/admin/kyc/kycapplication/"


def test_the_change_page_offers_only_what_the_user_may_fire(ada, people):
    application = in_review(ada, people)
    page = sign_in(Client(), people.reviewer).get(f"{PAGE}{application.pk}/change/")
    assert page.status_code == 200
    assert b'id="kyc-workflow"' in page.content
    assert f"{PAGE}{application.pk}/do/approve/".encode() in page.content
    other = sign_in(Client(), people.other_reviewer).get(f"{PAGE}{application.pk}/change/")
    assert f"{PAGE}{application.pk}/do/approve/".encode() not in other.content
    assert b"No transition you may fire" in other.content
    assert b"KYC documents" in page.content  # the assignee sees the documents inline
    assert b"KYC documents" not in other.content  # another reviewer does not


def test_workflow_actions_call_the_services_and_refusals_change_nothing(ada, people):
    application = in_review(ada, people)
    before = snapshot(application)
    client = sign_in(Client(), people.other_reviewer)
    response = client.post(f"{PAGE}{application.pk}/do/approve/", {"reason": "x"})
    assert response.status_code == 302
    assert any("not assigned to you" in str(m) for m in get_messages(response.wsgi_request))
    assert snapshot(application) == before
    client = sign_in(Client(), people.reviewer)
    client.post(f"{PAGE}{application.pk}/do/reject/", {"reason_code": "other", "reason": "not convinced"})
    application.refresh_from_db()
    assert (application.status, application.rejection_reason_code) == ("rejected", "other")


def test_nothing_is_edited_or_deleted_by_hand(ada, people):
    application = in_review(ada, people)
    client = sign_in(Client(), people.officer)
    assert client.post(f"{PAGE}{application.pk}/change/", {"status": "approved"}).status_code in (302, 403, 200)
    assert KycApplication.objects.get(pk=application.pk).status == "in_review"
    assert client.get(f"{PAGE}{application.pk}/delete/").status_code == 403
    # Opening one is allowed (issue 16) and goes through the service: the add page picks the customer only.
    add = client.get(f"{PAGE}add/")
    assert add.status_code == 200 and 'name="customer"' in add.content.decode()
    assert 'name="status"' not in add.content.decode()
