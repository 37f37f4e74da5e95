"""Customers in the admin: pages render for a verified superuser, saving goes through the
services (their rules as form errors, their audit events), and the KYC status is read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin

from core_banking.audit.models import AuditEvent
from core_banking.customers.models import Customer, RelatedParty
from tests import banking
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_user

pytestmark = pytest.mark.django_db

ADMIN = "/admin/customers/customer/"
PERSON = {"first_name": "", "last_name": "", "date_of_birth": "", "nationality": "", "occupation": ""}
BUSINESS = {"legal_name": "", "registration_number": "", "incorporation_country": "", "industry": ""}
PARTY = {"role": "", "ownership_percent": "", "first_name": "", "last_name": "", "date_of_birth": "",
         "nationality": "", "country_of_residence": "", "person": ""}
ADDRESS = {"kind": "residential", "line1": "", "line2": "", "postal_code": "", "city": "", "region": "", "country": ""}


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def root(client):
    return sign_in(client, staff_user(superuser=True))


def inline(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def business_post(owners: list[str], **fields) -> dict:
    parties = [{**PARTY, "role": "beneficial_owner", "first_name": f"Owner{i}", "last_name": "X",
                "ownership_percent": share} for i, share in enumerate(owners)]
    return {
        "type": "business", "risk_rating": "medium", **PERSON, **BUSINESS, "legal_name": "Acme B.V.",
        "registration_number": "KVK1", "incorporation_country": "nl", "email": "", "phone": "", **fields,
        **inline("addresses", [{**ADDRESS, "line1": "Dam 1", "city": "Amsterdam", "country": "nl"}]),
        **inline("tax_residencies", []),
        **inline("related_parties", parties),
    }


# --- pages ---------------------------------------------------------------------------------


def test_the_changelist_renders_searches_and_filters(root):
    ada = banking.customer(first_name="Ada", last_name="Lovelace", email="ada@example.test")
    acme = banking.customer(type="business", legal_name="Acme Trading B.V.")

    page = root.get(ADMIN)
    by_number = root.get(ADMIN, {"q": ada.number})
    by_name = root.get(ADMIN, {"q": "lovel"})
    by_legal_name = root.get(ADMIN, {"q": "acme"})
    by_email = root.get(ADMIN, {"q": "ADA@example.test"})
    filtered = root.get(ADMIN, {"type__exact": "business", "kyc_status__exact": "approved",
                                "status__exact": "active", "risk_rating__exact": "medium"})

    assert page.status_code == 200
    assert ada.number in page.content.decode() and acme.number in page.content.decode()
    for response, found, missing in ((by_number, ada, acme), (by_name, ada, acme), (by_legal_name, acme, ada),
                                     (by_email, ada, acme), (filtered, acme, ada)):
        assert response.status_code == 200
        content = response.content.decode()
        assert found.number in content and missing.number not in content


def test_the_change_page_renders_with_its_inlines_and_a_read_only_kyc_status(root):
    acme = banking.customer(type="business", legal_name="Acme Trading B.V.")
    RelatedParty.objects.create(business=acme, role="director", first_name="Dirk", last_name="Director")

    page = root.get(f"{ADMIN}{acme.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert "Acme Trading B.V." in content and "Dirk" in content and "Teststraat" in content
    assert "Approved" in content
    for name in ("kyc_status", "kyc_approved_at", "next_review_date", "status", "type", "risk_rating"):
        assert f'name="{name}"' not in content
    assert 'name="legal_name"' in content


def test_the_add_page_renders_and_customers_are_never_deleted(root):
    ada = banking.customer()

    assert root.get(f"{ADMIN}add/").status_code == 200
    assert root.get(f"{ADMIN}{ada.pk}/delete/").status_code == 403
    assert not admin.site._registry[Customer].has_delete_permission(root.get(ADMIN).wsgi_request, ada)


# --- saving through the services -----------------------------------------------------------


def test_adding_a_business_goes_through_the_service(root):
    response = root.post(f"{ADMIN}add/", business_post(["60", "40"]))

    assert response.status_code == 302, response.content.decode()[:3000]
    acme = Customer.objects.get()
    assert acme.number == f"C{acme.pk:08d}"
    assert (acme.kyc_status, acme.incorporation_country) == ("not_started", "NL")
    assert sorted(acme.related_parties.values_list("first_name", "ownership_percent")) == [
        ("Owner0", 60), ("Owner1", 40)]
    assert acme.addresses.get().country == "NL"
    event = AuditEvent.objects.get(action="customer.created", object_id=str(acme.pk))
    assert event.actor.is_superuser


@pytest.mark.parametrize(("post", "message"), [
    (business_post(["60", "40.01"]), "more than 100%"),
    (business_post(["0"]), "above 0 and at most 100%"),
    (business_post([], incorporation_country="XX"), "ISO 3166"),
    (business_post([], registration_number=""), "registration number"),
    ({**business_post([]), "addresses-0-country": "ZZ"}, "ISO 3166"),
    ({**business_post([]), "type": "person", "first_name": "Ada", "last_name": "L", "date_of_birth": "1990-01-01",
      "legal_name": "", "registration_number": "", "incorporation_country": ""}, "related parties"),
])
def test_a_refusal_of_the_service_rules_is_a_form_error_and_nothing_is_saved(root, post, message):
    if message == "related parties":
        post.update(inline("related_parties", [{**PARTY, "role": "director", "first_name": "D", "last_name": "D"}]))

    response = root.post(f"{ADMIN}add/", post)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Customer.objects.exists()


def test_changing_a_customer_goes_through_the_service_and_cannot_touch_the_kyc_status(root):
    ada = banking.customer(first_name="Ada", last_name="Lovelace", kyc="pending")
    address = ada.addresses.get()
    post = {
        **PERSON, **BUSINESS, "first_name": "Ada", "last_name": "King", "date_of_birth": "1815-12-10",
        "nationality": "gb", "email": "ada@example.test", "phone": "", "kyc_status": "approved",
        "risk_rating": "low", "type": "business",
        **inline("addresses", [{**ADDRESS, "id": address.pk, "customer": ada.pk, "line1": address.line1,
                                "city": address.city, "country": "NL"}], initial=1),
        **inline("tax_residencies", [{"country": "gb", "tax_id": "X1", "id": "", "customer": ada.pk}]),
    }

    response = root.post(f"{ADMIN}{ada.pk}/change/", post)

    assert response.status_code == 302, response.content.decode()[:3000]
    ada.refresh_from_db()
    assert (ada.last_name, ada.nationality, ada.email) == ("King", "GB", "ada@example.test")
    assert (ada.kyc_status, ada.risk_rating, ada.type) == ("pending", "medium", "person")
    assert list(ada.tax_residencies.values_list("country", "tax_id")) == [("GB", "X1")]
    event = AuditEvent.objects.get(action="customer.updated", object_id=str(ada.pk))
    assert event.changes == ["date_of_birth", "email", "last_name", "nationality"]
    assert "kyc_status" not in event.changes


def test_a_refusal_the_forms_could_not_foresee_is_a_message_and_nothing_is_saved(root, monkeypatch):
    from core_banking.customers import exceptions, services

    def closed_meanwhile(**kwargs):
        raise exceptions.CustomerNotActive("customer C1 was closed meanwhile")

    monkeypatch.setattr(services, "customer_create", closed_meanwhile)

    response = root.post(f"{ADMIN}add/", business_post(["100"]), follow=True)

    assert response.status_code == 200
    assert "Not saved: customer C1 was closed meanwhile" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_closed_customer_is_read_only(root):
    ada = banking.customer()
    Customer.objects.filter(pk=ada.pk).update(status="closed")

    page = root.get(f"{ADMIN}{ada.pk}/change/")

    assert page.status_code == 200
    assert 'name="last_name"' not in page.content.decode()
    assert root.post(f"{ADMIN}{ada.pk}/change/", {"last_name": "X"}).status_code == 403


def test_the_status_actions_go_through_the_service_and_show_refusals(root):
    bank = banking.setup_bank()
    ada = banking.customer()
    bram = banking.customer()
    banking.account(bram, banking.product(bank))

    suspended = root.post(ADMIN, {"action": "suspend_customers", "_selected_action": [ada.pk]}, follow=True)
    closed = root.post(ADMIN, {"action": "close_customers", "_selected_action": [bram.pk]}, follow=True)

    ada.refresh_from_db()
    bram.refresh_from_db()
    assert (ada.status, bram.status) == ("suspended", "active")
    assert "1 customer(s) now suspended" in suspended.content.decode()
    assert "close the accounts of customer" in closed.content.decode()
    assert AuditEvent.objects.get(action="customer.status_changed").object_id == str(ada.pk)
