"""The customers REST API: authentication, scopes and permissions, onboarding, look-up, updates,
status, and every refusal as application/problem+json with its stable code."""

from __future__ import annotations

import pytest

from core_banking.audit.models import AuditEvent
from core_banking.customers.models import Customer
from tests import banking
from tests.core_banking.api_auth import assert_problem, client_api, ensure_roles, grant, staff_api, staff_user

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
VIEW, ADD, CHANGE = "customers.view_customer", "customers.add_customer", "customers.change_customer"

ADA = {
    "type": "person", "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1815-12-10",
    "nationality": "gb", "email": "ada@example.test", "phone": "+31201234567",
    "addresses": [{"line1": "Damrak 1", "postal_code": "1012 LG", "city": "Amsterdam", "country": "NL"}],
    "tax_residencies": [{"country": "GB", "tax_id": "AB123456C"}],
}
ACME = {
    "type": "business", "legal_name": "Acme Trading B.V.", "registration_number": "KVK12345678",
    "incorporation_country": "NL", "industry": "Wholesale",
    "addresses": [{"kind": "residential", "line1": "Dam 1", "city": "Amsterdam", "country": "NL"}],
    "related_parties": [
        {"role": "beneficial_owner", "first_name": "Olga", "last_name": "Owner", "ownership_percent": "60.00"},
        {"role": "beneficial_owner", "first_name": "Otto", "last_name": "Owner", "ownership_percent": "40"},
        {"role": "signatory", "first_name": "Sam", "last_name": "Signer", "nationality": "BE"},
    ],
}


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def clerk():
    """A staff member with every customer permission, signed in with a verified second factor."""
    user = staff_user()
    grant(user, VIEW, ADD, CHANGE)
    return staff_api(user)


@pytest.fixture
def partner():
    """An API client with the customers scope and the view/add permissions, calling with its token."""
    api = client_api(scopes=["customers"])
    grant(api.user, VIEW, ADD)
    return api


def url(customer, suffix: str = "") -> str:
    return f"{CUSTOMERS}{customer.pk if hasattr(customer, 'pk') else customer}/{suffix}"


# --- authentication, scope and permissions -------------------------------------------------


@pytest.mark.backoffice
def test_without_credentials_the_api_answers_401_problem(api_client):
    response = api_client.get(CUSTOMERS)

    assert_problem(response, status=401, code="not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.both
def test_a_token_without_the_customers_scope_is_refused():
    api = client_api(scopes=["ledger"])
    grant(api.user, VIEW, ADD)

    body = assert_problem(api.get(CUSTOMERS), status=403, code="permission_denied")
    assert "customers" in body["detail"]


@pytest.mark.both
def test_the_scope_alone_is_not_enough_without_the_role_permission():
    api = client_api(scopes=["customers"])
    api.user.groups.clear()  # a client whose role grants nothing on customers

    assert_problem(api.get(CUSTOMERS), status=403, code="permission_denied")


@pytest.mark.parametrize(("perms", "method", "path", "body"), [
    ((), "get", "", None),
    ((VIEW,), "post", "", ADA),
    ((VIEW,), "patch", "{id}/", {"email": "x@example.test"}),
    ((VIEW,), "post", "{id}/status/", {"status": "suspended", "reason": "x"}),
])
def test_each_method_needs_its_model_permission(perms, method, path, body):
    user = staff_user()
    grant(user, *perms)
    ada = banking.customer()

    response = getattr(staff_api(user), method)(CUSTOMERS + path.format(id=ada.pk), body, format="json")

    body = assert_problem(response, status=403, code="permission_denied")
    assert "Missing permission" in body["detail"]


# --- onboarding ----------------------------------------------------------------------------


def test_a_person_is_onboarded_and_comes_back_with_kyc_not_started(clerk):
    response = clerk.post(CUSTOMERS, ADA, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    ada = Customer.objects.get(pk=body["id"])
    assert body["number"] == ada.number == f"C{ada.pk:08d}"
    assert (body["type"], body["display_name"], body["status"], body["kyc_status"]) == (
        "person", "Ada Lovelace", "active", "not_started")
    assert (body["nationality"], body["date_of_birth"], body["kyc_approved_at"]) == ("GB", "1815-12-10", None)
    assert body["addresses"] == [{"kind": "residential", "line1": "Damrak 1", "line2": "", "postal_code": "1012 LG",
                                  "city": "Amsterdam", "region": "", "country": "NL"}]
    assert body["tax_residencies"] == [{"country": "GB", "tax_id": "AB123456C"}]
    assert body["related_parties"] == []
    assert ada.created_by.pk == response.wsgi_request.user.pk
    assert AuditEvent.objects.filter(action="customer.created", object_id=str(ada.pk)).exists()


@pytest.mark.both
def test_a_business_is_onboarded_with_its_related_parties(partner):
    response = partner.post(CUSTOMERS, ACME, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    parties = {p["first_name"]: p for p in body["related_parties"]}
    assert (parties["Olga"]["ownership_percent"], parties["Otto"]["ownership_percent"]) == ("60.00", "40.00")
    assert parties["Sam"]["ownership_percent"] is None and parties["Sam"]["nationality"] == "BE"
    assert body["display_name"] == "Acme Trading B.V."


@pytest.mark.parametrize("field", ["kyc_status", "kyc_approved_at", "next_review_date", "status", "number"])
def test_the_kyc_status_and_other_bank_owned_fields_are_refused_not_ignored(clerk, field):
    response = clerk.post(CUSTOMERS, {**ADA, field: "approved"}, format="json")

    body = assert_problem(response, status=400, code="unknown_field")
    assert body["field"] == field and list(body["errors"]) == [field]
    assert not Customer.objects.exists()


def test_the_kyc_status_in_a_nested_object_is_refused_too(clerk):
    response = clerk.post(CUSTOMERS, {**ADA, "addresses": [{**ADA["addresses"][0], "kyc_status": "x"}]},
                          format="json")

    body = assert_problem(response, status=400, code="unknown_field")
    assert body["field"] == "addresses[0].kyc_status"
    assert "kyc_status" in str(body["errors"]["addresses"])


@pytest.mark.parametrize(("body", "detail"), [
    ({**ADA, "nationality": "XX"}, "ISO 3166"),
    ({**ADA, "last_name": ""}, "first and a last name"),
    ({**ADA, "date_of_birth": None}, "date of birth"),
    ({**ADA, "related_parties": ACME["related_parties"]}, "only a business"),
    ({**ACME, "registration_number": ""}, "registration number"),
    ({**ACME, "related_parties": [*ACME["related_parties"],
                                  {"role": "beneficial_owner", "first_name": "Xavier", "last_name": "Extra",
                                   "ownership_percent": "0.01"}]}, "more than 100%"),
    ({**ACME, "related_parties": [{"role": "beneficial_owner", "first_name": "Olga", "last_name": "Owner"}]},
     "ownership share"),
])
def test_what_the_service_refuses_is_invalid_customer(clerk, body, detail):
    response = clerk.post(CUSTOMERS, body, format="json")

    problem = assert_problem(response, status=422, code="invalid_customer")
    assert detail in problem["detail"]
    assert problem["type"] == "https://corebank.dev/problems/invalid-customer"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({**ADA, "type": "trust"}, "type"),
    ({**ADA, "nationality": "GBR"}, "nationality"),
    ({**ADA, "email": "not-an-email"}, "email"),
    ({**ACME, "related_parties": [{"role": "beneficial_owner", "first_name": "O", "last_name": "O",
                                   "ownership_percent": 60}]}, "related_parties"),
    ({**ADA, "addresses": [{"line1": "Dam 1", "country": "NL"}]}, "addresses"),
    ({**ACME, "related_parties": [{"role": "director", "first_name": "D", "last_name": "D", "person_id": 999999}]},
     "related_parties"),
])
def test_a_malformed_request_is_a_validation_error(clerk, body, field):
    response = clerk.post(CUSTOMERS, body, format="json")

    problem = assert_problem(response, status=400, code="validation_error")
    assert field in problem["errors"]


def test_a_percentage_sent_as_a_json_number_is_refused_with_an_explanation(clerk):
    party = {"role": "beneficial_owner", "first_name": "O", "last_name": "O", "ownership_percent": 60.5}

    problem = assert_problem(clerk.post(CUSTOMERS, {**ACME, "related_parties": [party]}, format="json"),
                             status=400, code="validation_error")
    assert "JSON strings" in str(problem["errors"])


# --- look-up -------------------------------------------------------------------------------


def test_customers_are_listed_newest_first_with_filters_and_a_cursor(clerk):
    ada = banking.customer(first_name="Ada", last_name="Lovelace", email="ada@example.test")
    bram = banking.customer(first_name="Bram", last_name="de Vries", kyc="pending")
    acme = banking.customer(type="business", legal_name="Acme B.V.")
    banking.customer(first_name="Carl", last_name="Closed")
    closed = Customer.objects.get(last_name="Closed")
    Customer.objects.filter(pk=closed.pk).update(status="suspended")

    def ids(query: str = "") -> list[int]:
        response = clerk.get(f"{CUSTOMERS}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [closed.pk, acme.pk, bram.pk, ada.pk]
    assert ids("type=business") == [acme.pk]
    assert ids("kyc_status=pending") == [bram.pk]
    assert ids("status=suspended") == [closed.pk]
    assert ids("search=ada@example.test") == [ada.pk]
    assert ids("search=lovel") == [ada.pk]
    assert ids(f"search={acme.number}") == [acme.pk]
    assert ids("search=acme") == [acme.pk]
    first = clerk.get(f"{CUSTOMERS}?page_size=2").json()
    second = clerk.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == [closed.pk, acme.pk, bram.pk, ada.pk]
    problem = assert_problem(clerk.get(f"{CUSTOMERS}?kyc_status=great"), status=400, code="validation_error")
    assert "kyc_status" in problem["errors"]


def test_a_customer_is_read_by_id_and_an_unknown_one_is_404(partner):
    ada = banking.customer(first_name="Ada", last_name="Lovelace")

    response = partner.get(url(ada))

    assert response.status_code == 200
    assert (response.json()["number"], response.json()["kyc_status"]) == (ada.number, "approved")
    assert response.json()["kyc_approved_at"] is not None
    assert_problem(partner.get(url(ada.pk + 1000)), status=404, code="customer_not_found")


# --- updates and status --------------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_replaces_a_list_sent(clerk):
    ada = clerk.post(CUSTOMERS, ADA, format="json").json()

    response = clerk.patch(url(ada["id"]), {"email": "lovelace@example.test", "addresses": [
        {"kind": "postal", "line1": "Postbus 1", "city": "Utrecht", "country": "nl"}]}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["first_name"], body["phone"]) == ("lovelace@example.test", "Ada", "+31201234567")
    assert [(a["kind"], a["country"]) for a in body["addresses"]] == [("postal", "NL")]
    assert body["tax_residencies"] == ADA["tax_residencies"]
    event = AuditEvent.objects.get(action="customer.updated", object_id=str(ada["id"]))
    assert event.changes == ["email"]


@pytest.mark.parametrize(("field", "value"), [
    ("kyc_status", "approved"), ("type", "business"), ("risk_rating", "low"), ("status", "closed"),
])
def test_patch_refuses_what_other_workflows_own(clerk, field, value):
    ada = banking.customer(kyc="not_started")

    problem = assert_problem(clerk.patch(url(ada), {field: value}, format="json"), status=400,
                             code="unknown_field")

    assert problem["field"] == field and list(problem["errors"]) == [field]
    ada.refresh_from_db()
    assert (ada.kyc_status, ada.type, ada.risk_rating, ada.status) == ("not_started", "person", "medium", "active")


def test_patch_refusals_come_back_with_their_codes(clerk):
    ada = banking.customer()

    assert_problem(clerk.patch(url(ada), {"nationality": "XX"}, format="json"), status=422, code="invalid_customer")
    assert_problem(clerk.patch(url(ada.pk + 1000), {"email": "x@example.test"}, format="json"), status=404,
                   code="customer_not_found")
    clerk.post(url(ada, "status/"), {"status": "closed", "reason": "left"}, format="json")
    assert_problem(clerk.patch(url(ada), {"email": "x@example.test"}, format="json"), status=422,
                   code="customer_not_active")


def test_the_status_changes_with_a_reason_and_is_audited(clerk):
    ada = banking.customer()

    response = clerk.post(url(ada, "status/"), {"status": "suspended", "reason": "fraud suspicion"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"
    event = AuditEvent.objects.get(action="customer.status_changed", object_id=str(ada.pk))
    assert (event.reason, event.after["status"]) == ("fraud suspicion", "suspended")
    assert event.actor.pk == response.wsgi_request.user.pk


def test_a_status_change_needs_a_known_status_and_a_reason(clerk):
    ada = banking.customer()

    problem = assert_problem(clerk.post(url(ada, "status/"), {"status": "gone"}, format="json"), status=400,
                             code="validation_error")
    assert set(problem["errors"]) == {"status", "reason"}


def test_a_customer_with_an_open_account_is_not_closed(clerk):
    bank = banking.setup_bank()
    ada = banking.customer()
    banking.account(ada, banking.product(bank))

    response = clerk.post(url(ada, "status/"), {"status": "closed", "reason": "left"}, format="json")

    assert_problem(response, status=409, code="customer_has_open_accounts")
    ada.refresh_from_db()
    assert ada.status == "active"
