"""The automatic checks run on every (re)submission; each gives pass, warn or fail.

* ``required_documents``: a person needs an identity document (passport, identity card or driving
  licence) and a proof of address; a business a company registration extract and a UBO declaration.
* ``document_expiry``: no document may be expired on the check date; an identity document must
  have an expiry date (a warning when one expires within 30 days).
* ``age``: a person must be 18 or older (fail under 18, fail without a date of birth).
* ``beneficial_owners``: a business must list at least one beneficial owner (warn otherwise).
* ``screening`` of the customer, and ``screening_owner`` per beneficial owner (each screened as
  a person): clear passes, a possible match warns, a match fails.

A failed check does not stop the submission (the reviewer sees the results) but blocks approval.
``gather_screening`` calls the screening hook and must run before the row is locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core_banking.customers.models import Customer, RelatedParty

from . import screening
from .models import KycApplication, KycCheckResult, KycDocument

PASS, WARN, FAIL = KycCheckResult.Outcome.PASS, KycCheckResult.Outcome.WARN, KycCheckResult.Outcome.FAIL
ADULT_AGE = 18
EXPIRY_WARNING_DAYS = 30
REQUIRED_DOCUMENTS = {
    Customer.Type.PERSON: (("identity document", set(KycDocument.IDENTITY_TYPES)),
                           ("proof of address", {KycDocument.Type.PROOF_OF_ADDRESS})),
    Customer.Type.BUSINESS: (("company registration", {KycDocument.Type.COMPANY_REGISTRATION}),
                             ("UBO declaration", {KycDocument.Type.UBO_DECLARATION})),
}
_SCREENING_OUTCOME = {screening.CLEAR: PASS, screening.POSSIBLE_MATCH: WARN, screening.MATCH: FAIL}


@dataclass(frozen=True)
class CheckOutcome:
    code: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Screened:
    subject: screening.ScreeningSubject
    result: screening.ScreeningResult
    is_owner: bool = False


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def beneficial_owners(customer: Customer) -> list[RelatedParty]:
    return list(customer.related_parties.filter(role=RelatedParty.Role.BENEFICIAL_OWNER).order_by("id"))


def screening_subjects(customer: Customer) -> list[tuple[screening.ScreeningSubject, bool]]:
    if customer.type == Customer.Type.PERSON:
        return [(screening.ScreeningSubject(
            kind="person", name=customer.display_name, reference=customer.number,
            date_of_birth=customer.date_of_birth, nationality=customer.nationality, country=customer.country), False)]
    subjects = [(screening.ScreeningSubject(kind="business", name=customer.legal_name, reference=customer.number,
                                            country=customer.incorporation_country), False)]
    for owner in beneficial_owners(customer):
        subjects.append((screening.ScreeningSubject(
            kind="person", name=f"{owner.first_name} {owner.last_name}",
            reference=f"{customer.number}/owner/{owner.pk}", date_of_birth=owner.date_of_birth,
            nationality=owner.nationality, country=owner.country_of_residence), True))
    return subjects


def gather_screening(customer: Customer) -> list[Screened]:
    """Screen the customer and, for a business, each beneficial owner as a person."""
    return [Screened(subject=subject, result=screening.screen(subject), is_owner=is_owner)
            for subject, is_owner in screening_subjects(customer)]


def check_required_documents(customer: Customer, documents: list[KycDocument]) -> CheckOutcome:
    have = {d.type for d in documents}
    missing = [label for label, types in REQUIRED_DOCUMENTS[customer.type] if not have & types]
    if missing:
        return CheckOutcome("required_documents", FAIL, "missing: " + ", ".join(missing))
    return CheckOutcome("required_documents", PASS, "all required documents present")


def check_document_expiry(documents: list[KycDocument], today: dt.date) -> CheckOutcome:
    expired = [d for d in documents if d.expiry_date is not None and d.expiry_date < today]
    undated = [d for d in documents if d.type in KycDocument.IDENTITY_TYPES and d.expiry_date is None]
    if expired or undated:
        parts = [f"{d.get_type_display()} expired on {d.expiry_date.isoformat()}" for d in expired]
        parts += [f"{d.get_type_display()} has no expiry date" for d in undated]
        return CheckOutcome("document_expiry", FAIL, "; ".join(parts))
    soon = [d for d in documents if d.expiry_date is not None
            and d.expiry_date <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS)]
    if soon:
        return CheckOutcome("document_expiry", WARN, "; ".join(
            f"{d.get_type_display()} expires on {d.expiry_date.isoformat()}" for d in soon))
    return CheckOutcome("document_expiry", PASS, "no document expired")


def check_age(customer: Customer, today: dt.date) -> CheckOutcome:
    if customer.date_of_birth is None:
        return CheckOutcome("age", FAIL, "no date of birth")
    age = age_on(customer.date_of_birth, today)
    if age < ADULT_AGE:
        return CheckOutcome("age", FAIL, f"the customer is {age}, under {ADULT_AGE}")
    return CheckOutcome("age", PASS, f"the customer is {age}")


def check_screening(screened: list[Screened]) -> list[CheckOutcome]:
    out = []
    for item in screened:
        code = "screening_owner" if item.is_owner else "screening"
        detail = f"{item.subject.name} ({item.subject.reference}): {item.result.outcome}"
        if item.result.detail:
            detail += f" — {item.result.detail}"
        out.append(CheckOutcome(code, _SCREENING_OUTCOME[item.result.outcome], detail[:500]))
    return out


def run_checks(application: KycApplication, *, screened: list[Screened], today: dt.date) -> list[CheckOutcome]:
    customer = application.customer
    documents = list(application.documents.all())
    results = [check_required_documents(customer, documents), check_document_expiry(documents, today)]
    if customer.type == Customer.Type.PERSON:
        results.append(check_age(customer, today))
    elif not any(item.is_owner for item in screened):
        results.append(CheckOutcome("beneficial_owners", WARN, "no beneficial owner is listed"))
    else:
        results.append(CheckOutcome("beneficial_owners", PASS,
                                    f"{sum(item.is_owner for item in screened)} beneficial owner(s) screened"))
    results.extend(check_screening(screened))
    return results
