"""Customer writes: onboarding, updates, status, risk rating and KYC status.

Every write runs in one transaction and appends an audit event with before/after; the KYC
review workflow (``backoffice.kyc``) is the normal caller of ``customer_set_kyc_status``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pycountry
from django.db import transaction
from django.utils import timezone

from core_banking.audit.services import audit_record, to_jsonable
from core_banking.common.maker_checker import Deferred, guarded

from . import exceptions as exc
from .models import Address, Customer, RelatedParty, TaxResidency

PERSON_FIELDS = ("first_name", "last_name", "date_of_birth", "nationality", "occupation")
BUSINESS_FIELDS = ("legal_name", "registration_number", "incorporation_country", "industry")
CONTACT_FIELDS = ("email", "phone", "risk_rating")
EDITABLE_FIELDS = (*PERSON_FIELDS, *BUSINESS_FIELDS, "email", "phone")


def country_check(code: str, *, field: str) -> str:
    code = (code or "").strip().upper()
    if code and pycountry.countries.get(alpha_2=code) is None:
        raise exc.InvalidCustomer(f"{field}: {code!r} is not an ISO 3166 country code", field=field)
    return code


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "type": customer.type, "status": customer.status, "kyc_status": customer.kyc_status,
        "risk_rating": customer.risk_rating,
        **{name: to_jsonable(getattr(customer, name)) for name in EDITABLE_FIELDS},
    }


def _validate(customer: Customer) -> None:
    if customer.type == Customer.Type.PERSON:
        if not customer.first_name.strip() or not customer.last_name.strip():
            raise exc.InvalidCustomer("a person needs a first and a last name")
        if customer.date_of_birth is None:
            raise exc.InvalidCustomer("a person needs a date of birth", field="date_of_birth")
        if customer.date_of_birth > timezone.localdate():
            raise exc.InvalidCustomer("the date of birth is in the future", field="date_of_birth")
        if any(getattr(customer, name) for name in ("legal_name", "registration_number", "incorporation_country")):
            raise exc.InvalidCustomer("business fields are for business customers")
    elif customer.type == Customer.Type.BUSINESS:
        if not customer.legal_name.strip():
            raise exc.InvalidCustomer("a business needs its legal name", field="legal_name")
        if not customer.registration_number.strip() or not customer.incorporation_country:
            raise exc.InvalidCustomer("a business needs its registration number and country of incorporation")
        if customer.first_name or customer.last_name or customer.date_of_birth:
            raise exc.InvalidCustomer("person fields are for person customers; list the people as related parties")
    else:
        raise exc.InvalidCustomer(f"unknown customer type {customer.type!r}", field="type")
    customer.nationality = country_check(customer.nationality, field="nationality")
    customer.incorporation_country = country_check(customer.incorporation_country, field="incorporation_country")


def _addresses_set(customer: Customer, addresses: Iterable[Mapping]) -> None:
    customer.addresses.all().delete()
    seen = set()
    for data in addresses:
        address = Address(customer=customer, **data)
        address.country = country_check(address.country, field="addresses.country")
        if not address.country or not address.line1 or not address.city:
            raise exc.InvalidCustomer("an address needs a first line, a city and a country")
        if address.kind in seen:
            raise exc.InvalidCustomer(f"two {address.kind} addresses", field="addresses")
        seen.add(address.kind)
        address.save()


def _tax_residencies_set(customer: Customer, residencies: Iterable[Mapping]) -> None:
    customer.tax_residencies.all().delete()
    seen = set()
    for data in residencies:
        country = country_check(data.get("country", ""), field="tax_residencies.country")
        if not country or country in seen:
            raise exc.InvalidCustomer("tax residencies need distinct countries", field="tax_residencies")
        seen.add(country)
        TaxResidency.objects.create(customer=customer, country=country, tax_id=data.get("tax_id", ""))


def _related_parties_set(customer: Customer, parties: Iterable[Mapping]) -> None:
    parties = list(parties)
    if parties and customer.type != Customer.Type.BUSINESS:
        raise exc.InvalidCustomer("only a business has related parties", field="related_parties")
    customer.related_parties.all().delete()
    owned = Decimal(0)
    for data in parties:
        party = RelatedParty(business=customer, **data)
        party.nationality = country_check(party.nationality, field="related_parties.nationality")
        party.country_of_residence = country_check(party.country_of_residence,
                                                   field="related_parties.country_of_residence")
        if party.role == RelatedParty.Role.BENEFICIAL_OWNER:
            if party.ownership_percent is None or not (0 < party.ownership_percent <= 100):
                raise exc.InvalidCustomer("a beneficial owner needs an ownership share above 0 and at most 100%")
            owned += party.ownership_percent
        elif party.ownership_percent is not None and not (0 < party.ownership_percent <= 100):
            raise exc.InvalidCustomer("an ownership share is above 0 and at most 100%")
        if party.person_id is not None and party.person.type != Customer.Type.PERSON:
            raise exc.InvalidCustomer("a related party links to a person customer", field="related_parties.person")
        party.save()
    if owned > 100:
        raise exc.InvalidCustomer(f"beneficial owners hold {owned}% together, more than 100%")


@transaction.atomic
def customer_create(
    *,
    type: str,
    actor=None,
    addresses: Iterable[Mapping] = (),
    tax_residencies: Iterable[Mapping] = (),
    related_parties: Iterable[Mapping] = (),
    **fields,
) -> Customer:
    unknown = set(fields) - {*EDITABLE_FIELDS, "risk_rating"}
    if unknown:
        raise exc.InvalidCustomer(f"unknown fields: {', '.join(sorted(unknown))}")
    customer = Customer(type=type, created_by=actor if getattr(actor, "pk", None) else None, **fields)
    _validate(customer)
    # A unique placeholder until the id is known (concurrent onboardings must not collide on it).
    customer.number = "T" + secrets.token_hex(7)
    customer.save()
    customer.number = f"C{customer.pk:08d}"
    Customer.objects.filter(pk=customer.pk).update(number=customer.number)
    _addresses_set(customer, addresses)
    _tax_residencies_set(customer, tax_residencies)
    _related_parties_set(customer, related_parties)
    audit_record(action="customer.created", obj=customer, after=_snapshot(customer), actor=actor)
    return customer


def _locked(customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise exc.CustomerNotFound(f"customer {customer_id} does not exist")
    return customer


@transaction.atomic
def customer_update(
    *,
    customer_id: int,
    actor=None,
    addresses: Iterable[Mapping] | None = None,
    tax_residencies: Iterable[Mapping] | None = None,
    related_parties: Iterable[Mapping] | None = None,
    **fields,
) -> Customer:
    customer = _locked(customer_id)
    if customer.status == Customer.Status.CLOSED:
        raise exc.CustomerNotActive(f"customer {customer.number} is closed")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise exc.InvalidCustomer(f"these fields cannot be changed here: {', '.join(sorted(unknown))}")
    before = _snapshot(customer)
    for name, value in fields.items():
        setattr(customer, name, value)
    _validate(customer)
    customer.save()
    if addresses is not None:
        _addresses_set(customer, addresses)
    if tax_residencies is not None:
        _tax_residencies_set(customer, tax_residencies)
    if related_parties is not None:
        _related_parties_set(customer, related_parties)
    after = _snapshot(customer)
    audit_record(action="customer.updated", obj=customer, before=before, after=after,
                 changes=[k for k in after if before.get(k) != after[k]], actor=actor)
    return customer


@transaction.atomic
def customer_set_kyc_status(
    *, customer_id: int, status: str, actor=None, reason: str = "",
    risk_rating: str | None = None, next_review_date: dt.date | None = None,
) -> Customer | Deferred:
    """Record the outcome of a KYC review (called by the KYC workflow). Approval stamps the time
    and may set the risk rating and the date of the next periodic review.

    The KYC review workflow decides under its own rules (assignment, a second compliance officer
    for high risk) and calls this inside ``system_execution``; any other caller is overriding
    KYC, which passes the maker-checker gate (``kyc_override``) and gets the ``Deferred``
    approval request unless an approved one is being executed."""
    return guarded("kyc_override", payload={"customer_id": customer_id, "status": status,
                                            "risk_rating": risk_rating, "reason": reason},
                   actor=actor, reason=reason,
                   execute=lambda: _customer_set_kyc_status(customer_id=customer_id, status=status, actor=actor,
                                                            reason=reason, risk_rating=risk_rating,
                                                            next_review_date=next_review_date))


def _customer_set_kyc_status(*, customer_id: int, status: str, actor, reason: str, risk_rating: str | None,
                             next_review_date: dt.date | None) -> Customer:
    if status not in Customer.KycStatus.values:
        raise exc.InvalidCustomer(f"unknown KYC status {status!r}", field="kyc_status")
    if risk_rating is not None and risk_rating not in Customer.RiskRating.values:
        raise exc.InvalidCustomer(f"unknown risk rating {risk_rating!r}", field="risk_rating")
    customer = _locked(customer_id)
    before = _snapshot(customer)
    customer.kyc_status = status
    if status == Customer.KycStatus.APPROVED:
        customer.kyc_approved_at = timezone.now()
    if risk_rating is not None:
        customer.risk_rating = risk_rating
    if next_review_date is not None:
        customer.next_review_date = next_review_date
    customer.save()
    audit_record(action="customer.kyc_status_changed", obj=customer, before=before, after=_snapshot(customer),
                 changes=["kyc_status"], reason=reason, actor=actor)
    return customer


@transaction.atomic
def customer_set_status(*, customer_id: int, status: str, actor=None, reason: str = "") -> Customer:
    if status not in Customer.Status.values:
        raise exc.InvalidCustomer(f"unknown customer status {status!r}", field="status")
    customer = _locked(customer_id)
    if customer.status == Customer.Status.CLOSED and status != Customer.Status.CLOSED:
        raise exc.CustomerNotActive(f"customer {customer.number} is closed; a closed customer is not reopened")
    if status == Customer.Status.CLOSED:
        from core_banking.accounts.models import Account  # accounts depends on customers, not the reverse

        if Account.objects.filter(customer_id=customer.pk).exclude(status=Account.Status.CLOSED).exists():
            raise exc.CustomerHasOpenAccounts(f"close the accounts of customer {customer.number} first")
    before = _snapshot(customer)
    customer.status = status
    customer.save(update_fields=["status", "updated_at"])
    audit_record(action="customer.status_changed", obj=customer, before=before, after=_snapshot(customer),
                 changes=["status"], reason=reason, actor=actor)
    return customer


def customer_require_account_eligible(customer: Customer) -> None:
    """The rule account opening obeys: an active customer whose KYC is approved."""
    if customer.status != Customer.Status.ACTIVE:
        raise exc.CustomerNotActive(f"customer {customer.number} is {customer.status}")
    if customer.kyc_status != Customer.KycStatus.APPROVED:
        raise exc.KycNotApproved(
            f"customer {customer.number} has KYC status {customer.kyc_status}; an account can only be opened "
            "once KYC is approved"
        )
