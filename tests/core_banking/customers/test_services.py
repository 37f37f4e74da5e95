"""Customer onboarding and upkeep: the rules of the services and the audit events they write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core_banking.audit.models import AuditEvent
from core_banking.customers import exceptions as exc
from core_banking.customers import services
from core_banking.customers.models import Customer, RelatedParty
from tests import banking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

ADA = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": dt.date(1815, 12, 10), "nationality": "GB"}
ACME = {"legal_name": "Acme Trading B.V.", "registration_number": "KVK12345678", "incorporation_country": "NL"}
ADDRESS = {"line1": "Damrak 1", "postal_code": "1012 LG", "city": "Amsterdam", "country": "NL"}


def owner(first: str, share: str, **fields) -> dict:
    return {"role": RelatedParty.Role.BENEFICIAL_OWNER, "first_name": first, "last_name": "Owner",
            "ownership_percent": Decimal(share), **fields}


def events(obj, action: str | None = None):
    found = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return found.filter(action=action) if action else found


# --- onboarding ----------------------------------------------------------------------------


def test_a_person_is_onboarded_with_a_number_addresses_tax_residencies_and_an_audit_event():
    ada = services.customer_create(
        type="person", **ADA, email="ada@example.test", occupation="Mathematician",
        addresses=[ADDRESS, {**ADDRESS, "kind": "postal", "line1": "Postbus 7"}],
        tax_residencies=[{"country": "gb", "tax_id": "AB123456C"}, {"country": "NL"}],
    )

    ada.refresh_from_db()
    assert ada.number == f"C{ada.pk:08d}"
    assert (ada.type, ada.status, ada.kyc_status, ada.risk_rating) == ("person", "active", "not_started", "medium")
    assert ada.display_name == "Ada Lovelace"
    assert sorted(ada.addresses.values_list("kind", "line1")) == [("postal", "Postbus 7"), ("residential", "Damrak 1")]
    assert sorted(ada.tax_residencies.values_list("country", "tax_id")) == [("GB", "AB123456C"), ("NL", "")]
    assert ada.country == "NL"  # the residential address wins over the nationality
    event = events(ada, "customer.created").get()
    assert event.after["first_name"] == "Ada" and event.after["kyc_status"] == "not_started"


def test_a_business_is_onboarded_with_its_owners_signatories_and_directors():
    director = banking.customer(first_name="Dirk", last_name="Director")

    acme = services.customer_create(
        type="business", **ACME, industry="Wholesale", addresses=[ADDRESS],
        related_parties=[
            owner("Olga", "60.00", nationality="nl", country_of_residence="BE"),
            owner("Otto", "40"),
            {"role": "signatory", "first_name": "Sam", "last_name": "Signer"},
            {"role": "director", "first_name": "Dirk", "last_name": "Director", "person": director},
        ],
    )

    parties = {p.first_name: p for p in acme.related_parties.all()}
    assert acme.display_name == "Acme Trading B.V."
    assert sorted(parties) == ["Dirk", "Olga", "Otto", "Sam"]
    assert parties["Olga"].ownership_percent == Decimal("60.00")
    assert (parties["Olga"].nationality, parties["Olga"].country_of_residence) == ("NL", "BE")
    assert parties["Sam"].ownership_percent is None
    assert parties["Dirk"].person == director
    assert list(director.roles_in_businesses.all()) == [parties["Dirk"]]


@pytest.mark.parametrize(
    ("type", "fields", "message"),
    [
        ("person", {**ADA, "last_name": ""}, "first and a last name"),
        ("person", {**ADA, "first_name": "   "}, "first and a last name"),
        ("person", {**ADA, "date_of_birth": None}, "date of birth"),
        ("person", {**ADA, "date_of_birth": dt.date.today() + dt.timedelta(days=2)}, "in the future"),
        ("person", {**ADA, "legal_name": "Ada Ltd"}, "business fields"),
        ("business", {**ACME, "legal_name": ""}, "legal name"),
        ("business", {**ACME, "registration_number": ""}, "registration number"),
        ("business", {**ACME, "incorporation_country": ""}, "registration number"),
        ("business", {**ACME, "first_name": "Ada"}, "person fields"),
        ("trust", ACME, "unknown customer type"),
    ],
)
def test_what_each_type_of_customer_needs(type, fields, message):
    with pytest.raises(exc.InvalidCustomer, match=message) as refused:
        services.customer_create(type=type, **fields)

    assert refused.value.code == "invalid_customer"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("fields", "parts"),
    [
        ({**ADA, "nationality": "XX"}, {}),
        ({**ADA, "nationality": "NLD"}, {}),
        (ADA, {"addresses": [{**ADDRESS, "country": "ZZ"}]}),
        (ADA, {"tax_residencies": [{"country": "QQ"}]}),
    ],
)
def test_country_codes_must_be_iso_3166_alpha_2(fields, parts):
    with pytest.raises(exc.InvalidCustomer, match="ISO 3166"):
        services.customer_create(type="person", **fields, **parts)

    assert not Customer.objects.exists()


def test_country_codes_are_stored_in_upper_case():
    ada = services.customer_create(type="person", **{**ADA, "nationality": "gb"},
                                   addresses=[{**ADDRESS, "country": "nl"}])

    assert ada.nationality == "GB"
    assert ada.addresses.get().country == "NL"


def test_an_address_needs_a_line_a_city_and_a_country_and_one_per_kind():
    with pytest.raises(exc.InvalidCustomer, match="first line, a city and a country"):
        services.customer_create(type="person", **ADA, addresses=[{**ADDRESS, "city": ""}])
    with pytest.raises(exc.InvalidCustomer, match="two residential addresses"):
        services.customer_create(type="person", **ADA, addresses=[ADDRESS, ADDRESS])
    with pytest.raises(exc.InvalidCustomer, match="distinct countries"):
        services.customer_create(type="person", **ADA, tax_residencies=[{"country": "NL"}, {"country": "nl"}])

    assert not Customer.objects.exists()


def test_beneficial_owners_together_over_100_percent_are_refused_and_nothing_is_written():
    with pytest.raises(exc.InvalidCustomer, match="100.01% together"):
        services.customer_create(type="business", **ACME,
                                 related_parties=[owner("Olga", "60.00"), owner("Otto", "40.01")])

    assert not Customer.objects.exists()
    assert not RelatedParty.objects.exists()
    assert not AuditEvent.objects.filter(action="customer.created").exists()


@pytest.mark.parametrize(
    "party",
    [
        owner("Olga", "0"),
        owner("Olga", "100.01"),
        {"role": "beneficial_owner", "first_name": "Olga", "last_name": "Owner"},
        # A share on a signatory is optional, but when given it is a share (the CHECK would refuse it).
        {"role": "signatory", "first_name": "Sam", "last_name": "Signer", "ownership_percent": Decimal("150")},
    ],
)
def test_an_ownership_share_is_above_0_and_at_most_100_percent(party):
    with pytest.raises(exc.InvalidCustomer, match="above 0 and at most 100%"):
        services.customer_create(type="business", **ACME, related_parties=[party])


def test_only_a_business_has_related_parties_and_they_link_to_persons():
    other_business = banking.customer(type="business")

    with pytest.raises(exc.InvalidCustomer, match="only a business"):
        services.customer_create(type="person", **ADA, related_parties=[owner("Olga", "50")])
    with pytest.raises(exc.InvalidCustomer, match="links to a person"):
        services.customer_create(type="business", **ACME,
                                 related_parties=[owner("Olga", "50", person=other_business)])


def test_unknown_fields_are_refused():
    with pytest.raises(exc.InvalidCustomer, match="unknown fields: kyc_status"):
        services.customer_create(type="person", **ADA, kyc_status="approved")


# --- updates, KYC status and status --------------------------------------------------------


def test_an_update_changes_the_fields_given_replaces_the_lists_given_and_records_what_changed():
    ada = services.customer_create(type="person", **ADA, email="old@example.test", addresses=[ADDRESS],
                                   tax_residencies=[{"country": "GB"}])

    services.customer_update(customer_id=ada.pk, email="new@example.test", occupation="Analyst",
                             addresses=[{**ADDRESS, "line1": "Dam 2"}])

    ada.refresh_from_db()
    assert (ada.email, ada.occupation, ada.first_name) == ("new@example.test", "Analyst", "Ada")
    assert list(ada.addresses.values_list("line1", flat=True)) == ["Dam 2"]
    assert list(ada.tax_residencies.values_list("country", flat=True)) == ["GB"]  # not given: kept
    event = events(ada, "customer.updated").get()
    assert event.changes == ["email", "occupation"]
    assert (event.before["email"], event.after["email"]) == ("old@example.test", "new@example.test")


@pytest.mark.parametrize("field", ["kyc_status", "type", "risk_rating", "status", "number"])
def test_an_update_cannot_touch_what_other_workflows_own(field):
    ada = banking.customer(kyc="not_started")

    with pytest.raises(exc.InvalidCustomer, match="cannot be changed here"):
        services.customer_update(customer_id=ada.pk, **{field: "approved"})

    ada.refresh_from_db()
    assert ada.kyc_status == "not_started"


def test_an_update_is_validated_like_onboarding():
    ada = banking.customer()

    with pytest.raises(exc.InvalidCustomer, match="ISO 3166"):
        services.customer_update(customer_id=ada.pk, nationality="XX")
    with pytest.raises(exc.InvalidCustomer, match="first and a last name"):
        services.customer_update(customer_id=ada.pk, last_name="")


def test_an_unknown_or_closed_customer_is_not_updated():
    ada = banking.customer()
    services.customer_set_status(customer_id=ada.pk, status="closed", reason="left the bank")

    with pytest.raises(exc.CustomerNotFound):
        services.customer_update(customer_id=ada.pk + 1000, email="x@example.test")
    with pytest.raises(exc.CustomerNotActive):
        services.customer_update(customer_id=ada.pk, email="x@example.test")


def test_kyc_approval_stamps_the_time_and_may_set_the_rating_and_the_next_review():
    ada = banking.customer(kyc="not_started")
    review = timezone.localdate() + dt.timedelta(days=365)

    services.customer_set_kyc_status(customer_id=ada.pk, status="approved", risk_rating="low",
                                     next_review_date=review, reason="documents checked")

    ada.refresh_from_db()
    assert ada.kyc_status == "approved" and ada.kyc_approved_at is not None
    assert (ada.risk_rating, ada.next_review_date) == ("low", review)
    event = events(ada, "customer.kyc_status_changed").get()
    assert (event.before["kyc_status"], event.after["kyc_status"], event.reason) == (
        "not_started", "approved", "documents checked")


def test_unknown_kyc_statuses_ratings_and_statuses_are_refused():
    ada = banking.customer()

    with pytest.raises(exc.InvalidCustomer):
        services.customer_set_kyc_status(customer_id=ada.pk, status="great")
    with pytest.raises(exc.InvalidCustomer):
        services.customer_set_kyc_status(customer_id=ada.pk, status="approved", risk_rating="none")
    with pytest.raises(exc.InvalidCustomer):
        services.customer_set_status(customer_id=ada.pk, status="gone")


def test_a_status_change_is_audited_with_its_reason():
    ada = banking.customer()

    services.customer_set_status(customer_id=ada.pk, status="suspended", reason="fraud suspicion")

    ada.refresh_from_db()
    assert ada.status == "suspended"
    event = events(ada, "customer.status_changed").get()
    assert (event.before["status"], event.after["status"], event.reason) == ("active", "suspended", "fraud suspicion")


@pytest.mark.parametrize(("status", "kyc", "error"), [
    ("active", "not_started", exc.KycNotApproved),
    ("active", "pending", exc.KycNotApproved),
    ("active", "rejected", exc.KycNotApproved),
    ("active", "expired", exc.KycNotApproved),
    ("suspended", "approved", exc.CustomerNotActive),
    ("closed", "approved", exc.CustomerNotActive),
])
def test_only_an_active_customer_with_approved_kyc_may_have_an_account_opened(status, kyc, error):
    customer = banking.customer(kyc=kyc)
    if status != "active":
        customer = services.customer_set_status(customer_id=customer.pk, status=status)

    with pytest.raises(error):
        services.customer_require_account_eligible(customer)


def test_an_active_customer_with_approved_kyc_is_eligible():
    services.customer_require_account_eligible(banking.customer(kyc="approved"))
