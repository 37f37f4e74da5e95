"""Issue 16, item 6: a KYC application is opened from the staff side, through the API and the admin
(the customer's change page links to the prefilled add page), and the demo customer whose KYC is
pending has one to review."""

from __future__ import annotations

from io import StringIO

import pytest
from django.urls import reverse

from backoffice.kyc import demo
from backoffice.kyc.models import KycApplication, KycHistory
from core_banking.audit.models import AuditEvent
from core_banking.customers.models import Customer
from tests import banking
from tests.core_banking.ledger.interfaces import sign_in, staff_api, staff_user

pytestmark = pytest.mark.django_db

ADD_PAGE = "/admin/kyc/kycapplication/add/"


def test_operations_opens_an_application_through_the_api(ada, people):
    response = staff_api(people.ops).post("/api/v1/kyc/applications/", {"customer": ada.pk}, format="json")

    assert response.status_code == 201, response.content
    application = KycApplication.objects.get(pk=response.json()["id"])
    assert (application.customer_id, application.status, application.created_by) == (ada.pk, "draft", people.ops)


@pytest.mark.parametrize("who", ["reviewer", "officer"])
def test_the_compliance_roles_open_one_through_the_api_too(ada, people, who):
    response = staff_api(getattr(people, who)).post("/api/v1/kyc/applications/", {"customer": ada.pk},
                                                    format="json")
    assert response.status_code == 201, response.content


def test_a_support_agent_may_not_open_one(ada, people):
    response = staff_api(people.support).post("/api/v1/kyc/applications/", {"customer": ada.pk}, format="json")
    assert response.status_code == 403
    assert not KycApplication.objects.exists()


def test_the_customer_page_links_to_the_prefilled_add_page(client, ada, people):
    sign_in(client, people.ops)

    html = client.get(reverse("admin:customers_customer_change", args=[ada.pk])).content.decode()

    assert f'{ADD_PAGE}?customer={ada.pk}' in html
    add = client.get(ADD_PAGE, {"customer": ada.pk})
    assert add.status_code == 200
    assert f'value="{ada.pk}"' in add.content.decode()


def test_the_link_is_not_offered_to_who_may_not_open(client, ada, people):
    sign_in(client, people.support)

    html = client.get(reverse("admin:customers_customer_change", args=[ada.pk])).content.decode()
    assert ADD_PAGE not in html
    assert client.get(ADD_PAGE, {"customer": ada.pk}).status_code == 403


@pytest.mark.parametrize("who", ["ops", "reviewer"])
def test_an_application_is_opened_through_the_admin(client, ada, people, who):
    user = getattr(people, who)
    sign_in(client, user)

    response = client.post(f"{ADD_PAGE}?customer={ada.pk}", {"customer": ada.pk, "product_kind": "current"})

    application = KycApplication.objects.get(customer=ada)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:kyc_kycapplication_change", args=[application.pk])
    assert (application.status, application.product_kind, application.created_by) == ("draft", "current", user)
    assert KycHistory.objects.filter(application=application, action="create").exists()
    assert AuditEvent.objects.filter(action="kyc.application_created", object_id=str(application.pk)).exists()
    assert client.get(response["Location"]).status_code == 200


def test_a_second_open_application_is_refused_as_a_form_error(client, ada, people):
    sign_in(client, people.ops)
    client.post(ADD_PAGE, {"customer": ada.pk, "product_kind": ""})

    response = client.post(ADD_PAGE, {"customer": ada.pk, "product_kind": ""})

    assert response.status_code == 200
    assert "already has an open KYC application" in response.content.decode()
    assert KycApplication.objects.filter(customer=ada).count() == 1


def test_the_demo_opens_and_submits_an_application_for_the_pending_customer(people):
    staff_user("operations", username="demo_operations")
    waiting = banking.customer(kyc="pending", first_name="Pending", last_name="Demo",
                               email="pending.demo@demo.corebank.test")
    banking.customer(kyc="approved", email="approved@demo.corebank.test")

    demo.load_demo(stdout=StringIO())
    demo.load_demo(stdout=StringIO())  # idempotent

    application = KycApplication.objects.get()
    assert (application.customer_id, application.status) == (waiting.pk, "submitted")
    assert Customer.objects.get(pk=waiting.pk).kyc_status == "pending"
