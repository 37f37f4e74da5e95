"""Issue 16, item 6: compliance sees the customers and accounts it judges, in full; a support agent
sees customers with their personal data masked, in the API and in the admin."""

from __future__ import annotations

import pytest

from core_banking.customers import pii
from tests import banking
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_api, staff_user

pytestmark = pytest.mark.django_db

COMPLIANCE = ("compliance_reviewer", "compliance_officer")


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def ada():
    customer = banking.customer(first_name="Jane", last_name="Doe", email="jane@example.com",
                                phone="+44 20 7946 0123")
    customer.tax_residencies.create(country="GB", tax_id="AB123456C")
    return customer


@pytest.fixture
def account(ada):
    bank = banking.setup_bank()
    return banking.account(ada, banking.product(bank))


# --- the masks ------------------------------------------------------------------------------


def test_the_masks():
    import datetime as dt

    assert pii.mask_email("jane@example.com") == "j***@example.com"
    assert pii.mask_phone("+44 20 7946 0123") == "+44 *** *** 123"
    assert pii.mask_phone("020 7946 0123") == "*** *** 123"
    assert pii.mask_date(dt.date(1985, 5, 17)) == "19**-**-**"
    assert pii.mask_id("AB123456C") == "***6C"
    assert (pii.mask_email(""), pii.mask_phone(""), pii.mask_date(None)) == ("", "", None)


def test_who_sees_personal_data():
    assert not pii.may_see_pii(None)
    assert not pii.may_see_pii(staff_user("support_agent"))
    for role in ("operations", *COMPLIANCE):
        assert pii.may_see_pii(staff_user(role)), role


# --- compliance reads customers and accounts ---------------------------------------------------


@pytest.mark.parametrize("role", COMPLIANCE)
def test_compliance_opens_customer_and_account_admin_pages(client, role, ada, account):
    sign_in(client, staff_user(role))

    for url in (f"/admin/customers/customer/{ada.pk}/change/", f"/admin/accounts/account/{account.pk}/change/",
                f"/admin/accounts/product/{account.product_id}/change/", "/admin/customers/customer/",
                "/admin/accounts/account/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    page = client.get(f"/admin/customers/customer/{ada.pk}/change/").content.decode()
    assert "jane@example.com" in page and "AB123456C" in page


@pytest.mark.parametrize("role", COMPLIANCE)
def test_compliance_reads_customer_and_account_through_the_api_in_full(role, ada, account):
    api = staff_api(staff_user(role))

    customer = api.get(f"/api/v1/customers/{ada.pk}/")
    assert customer.status_code == 200, customer.content
    body = customer.json()
    assert (body["email"], body["phone"], body["date_of_birth"]) == ("jane@example.com", "+44 20 7946 0123",
                                                                     "1985-05-17")
    assert api.get(f"/api/v1/accounts/{account.pk}/").status_code == 200


# --- a support agent sees the personal data masked ---------------------------------------------


def test_support_agent_gets_masked_personal_data_in_the_api(ada):
    api = staff_api(staff_user("support_agent"))

    body = api.get(f"/api/v1/customers/{ada.pk}/").json()
    assert (body["email"], body["phone"], body["date_of_birth"]) == ("j***@example.com", "+44 *** *** 123",
                                                                     "19**-**-**")
    assert body["display_name"] == "Jane Doe"  # the name is not masked: it is how the customer is found
    assert body["addresses"][0]["line1"] == "***" and body["addresses"][0]["city"] == "Amsterdam"
    assert body["tax_residencies"] == [{"country": "GB", "tax_id": "***6C"}]

    listed = api.get("/api/v1/customers/").json()["results"]
    assert [row["email"] for row in listed if row["id"] == ada.pk] == ["j***@example.com"]


def test_support_agent_gets_masked_personal_data_in_the_admin(client, ada):
    sign_in(client, staff_user("support_agent"))

    page = client.get(f"/admin/customers/customer/{ada.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "j***@example.com" in html and "+44 *** *** 123" in html and "19**-**-**" in html
    assert "***6C" in html
    for secret in ("jane@example.com", "7946 0123", "1985", "AB123456C", "Teststraat"):
        assert secret not in html, secret

    changelist = client.get("/admin/customers/customer/").content.decode()
    assert "j***@example.com" in changelist and "jane@example.com" not in changelist
    # Searching by the exact e-mail would confirm what the mask hides.
    assert "Jane" not in client.get("/admin/customers/customer/", {"q": "jane@example.com"}).content.decode()


def test_operations_sees_and_edits_the_personal_data_in_the_admin(client, ada):
    sign_in(client, staff_user("operations"))

    html = client.get(f"/admin/customers/customer/{ada.pk}/change/").content.decode()
    assert 'value="jane@example.com"' in html and "***" not in html
