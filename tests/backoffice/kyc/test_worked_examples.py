"""Worked examples of the KYC workflow: the state machine, the checks, the score, the decision."""

import datetime as dt

import pytest

from backoffice.kyc import checks, scoring, screening, services
from backoffice.kyc.models import KycApplication, KycHistory
from core_banking.accounts import services as accounts
from core_banking.common.errors import TransitionNotAllowed
from core_banking.customers.models import Customer
from core_banking.customers.services import customer_create
from tests import banking

from .conftest import add_document, checks_by_code, draft, in_review, today

pytestmark = pytest.mark.django_db
S = KycApplication.Status


def test_onboarding_a_person_from_draft_to_approved_then_an_account_opens(ada, people):
    application = draft(ada, people.ops, product_kind="savings")
    assert application.status == S.DRAFT
    services.application_submit(application_id=application.pk, actor=people.ops)
    ada.refresh_from_db()
    assert ada.kyc_status == Customer.KycStatus.PENDING
    assert checks_by_code(application) == {"required_documents": "pass", "document_expiry": "pass", "age": "pass",
                                           "screening": "pass"}
    services.application_assign(application_id=application.pk, assignee_id=people.reviewer.pk, actor=people.ops)
    services.application_start_review(application_id=application.pk, actor=people.reviewer)
    application = services.application_approve(application_id=application.pk, actor=people.reviewer)
    assert application.status == S.APPROVED
    assert (application.risk_score, application.risk_rating) == (0, "low")
    ada.refresh_from_db()
    assert ada.kyc_status == Customer.KycStatus.APPROVED
    assert ada.risk_rating == "low"
    assert ada.next_review_date == scoring.next_review_date("low", from_date=today())
    assert ada.next_review_date.year == today().year + 3
    assert list(KycHistory.objects.filter(application=application).values_list("action", flat=True)) == [
        "create", "document_uploaded", "document_uploaded", "submit", "assign", "start_review", "approve"]
    bank = banking.setup_bank()
    account = accounts.account_open(customer_id=ada.pk, product_id=banking.product(bank).pk)
    assert account.customer_id == ada.pk


def test_information_requested_then_resubmitted_reruns_the_checks(ada, people):
    application = draft(ada, people.ops, docs=["passport"])
    services.application_submit(application_id=application.pk, actor=people.ops)
    assert checks_by_code(application)["required_documents"] == "fail"
    services.application_assign(application_id=application.pk, assignee_id=people.reviewer.pk, actor=people.ops)
    services.application_start_review(application_id=application.pk, actor=people.reviewer)
    with pytest.raises(services.exc.ChecksFailed):
        services.application_approve(application_id=application.pk, actor=people.reviewer)
    with pytest.raises(services.exc.ReasonRequired):
        services.application_request_information(application_id=application.pk, actor=people.reviewer, reason="")
    services.application_request_information(application_id=application.pk, actor=people.reviewer,
                                             reason="please send a proof of address")
    add_document(application, people.ops, "proof_of_address")
    application = services.application_resubmit(application_id=application.pk, actor=people.ops)
    assert application.status == S.RESUBMITTED
    assert application.check_run == 2
    assert checks_by_code(application)["required_documents"] == "pass"
    services.application_start_review(application_id=application.pk, actor=people.reviewer)
    assert services.application_approve(application_id=application.pk, actor=people.reviewer).status == S.APPROVED


def test_rejection_records_the_reason_code_and_the_customer_status(ada, people):
    application = in_review(ada, people)
    with pytest.raises(services.exc.InvalidReasonCode):
        services.application_reject(application_id=application.pk, reason_code="nope", actor=people.reviewer)
    application = services.application_reject(application_id=application.pk, reason_code="identity_not_verified",
                                              reason="selfie does not match", actor=people.reviewer)
    assert (application.status, application.rejection_reason_code) == (S.REJECTED, "identity_not_verified")
    assert application.decided_at is not None
    ada.refresh_from_db()
    assert ada.kyc_status == Customer.KycStatus.REJECTED


@pytest.mark.parametrize(("action", "status"), [
    ("start_review", S.DRAFT), ("approve", S.DRAFT), ("resubmit", S.DRAFT), ("request_information", S.DRAFT)])
def test_transitions_from_the_wrong_state_are_refused(ada, people, action, status):
    application = draft(ada, people.ops)
    with pytest.raises(TransitionNotAllowed):
        services.application_transition(application_id=application.pk, action=action, actor=people.officer,
                                        reason="x")
    assert KycApplication.objects.get(pk=application.pk).status == status


def test_one_open_application_per_customer(ada, people):
    draft(ada, people.ops, docs=[])
    with pytest.raises(services.exc.ApplicationAlreadyOpen):
        services.application_create(customer_id=ada.pk, actor=people.ops)


# --- the checks --------------------------------------------------------------------------------


def test_missing_documents_fail_the_required_documents_check(ada, acme, people):
    application = draft(ada, people.ops, docs=["proof_of_address"])
    services.application_submit(application_id=application.pk, actor=people.ops)
    assert checks_by_code(application)["required_documents"] == "fail"
    assert "identity document" in application.check_results.get(code="required_documents").detail
    business = draft(acme, people.ops, docs=["company_registration"])
    services.application_submit(application_id=business.pk, actor=people.ops)
    result = business.check_results.get(code="required_documents")
    assert (result.outcome, result.detail) == ("fail", "missing: UBO declaration")


def test_an_expired_document_fails_the_expiry_check(ada, people):
    application = draft(ada, people.ops, docs=["proof_of_address"])
    add_document(application, people.ops, "passport", expiry_date=today() - dt.timedelta(days=1))
    services.application_submit(application_id=application.pk, actor=people.ops)
    assert checks_by_code(application)["document_expiry"] == "fail"


def test_an_identity_document_needs_an_expiry_date(ada, people):
    application = draft(ada, people.ops, docs=[])
    with pytest.raises(services.exc.InvalidDocument, match="expiry date"):
        add_document(application, people.ops, "passport", expiry_date=None)


def test_under_18_fails_the_age_check(people):
    born = today().replace(year=today().year - 17)
    minor = banking.customer(kyc="not_started", first_name="Kid", last_name="Young", date_of_birth=born)
    application = draft(minor, people.ops)
    services.application_submit(application_id=application.pk, actor=people.ops)
    assert checks_by_code(application)["age"] == "fail"
    assert checks.age_on(born, today()) == 17


SCREENED: list[tuple[str, str]] = []


def recording_hook(subject: screening.ScreeningSubject) -> screening.ScreeningResult:
    """A screening hook for the test: records who was screened; Road Runner is a possible match."""
    SCREENED.append((subject.kind, subject.name))
    outcome = screening.POSSIBLE_MATCH if subject.name == "Road Runner" else screening.CLEAR
    return screening.ScreeningResult(outcome=outcome)


def test_each_beneficial_owner_is_screened_as_a_person(acme, people, settings):
    settings.KYC_SCREENING_HOOK = "tests.backoffice.kyc.test_worked_examples.recording_hook"
    SCREENED.clear()
    seen = SCREENED
    application = draft(acme, people.ops)
    services.application_submit(application_id=application.pk, actor=people.ops)
    assert seen == [("business", "Acme B.V."), ("person", "Wile Coyote"), ("person", "Road Runner")]
    owner_checks = list(application.check_results.filter(code="screening_owner").values_list("outcome", flat=True))
    assert owner_checks == ["pass", "warn"]
    application.refresh_from_db()
    assert application.screening_outcome == "possible_match"
    # business 5 + possible match 25 = 30: medium
    assert (application.risk_score, application.risk_rating) == (30, "medium")


# --- the risk score ------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "points", "rating"), [
    (scoring.RiskInput("person", ("NL",)), 0, "low"),
    (scoring.RiskInput("person", ("NL",), product_kind="current"), 5, "low"),
    (scoring.RiskInput("person", ("NL",), product_kind="loan", activity="Car dealer"), 20, "medium"),
    (scoring.RiskInput("person", ("TR",)), 15, "low"),
    (scoring.RiskInput("person", ("TR",), product_kind="current"), 20, "medium"),
    (scoring.RiskInput("person", ("IR",)), 40, "high"),
    (scoring.RiskInput("business", ("NL", "AE"), activity="Online gambling"), 45, "high"),
    (scoring.RiskInput("person", ("NL",), screening_outcome="possible_match"), 25, "medium"),
    (scoring.RiskInput("person", ("NL",), screening_outcome="match"), 50, "high"),
    (scoring.RiskInput("person", ("NL",), activity="Jeweller"), 10, "low"),
])
def test_the_risk_score_table(data, points, rating):
    result = scoring.score(data)
    assert (result.score, result.rating) == (points, rating)


@pytest.mark.parametrize(("rating", "years"), [("low", 3), ("medium", 2), ("high", 1)])
def test_review_interval_per_rating(rating, years):
    assert scoring.next_review_date(rating, from_date=dt.date(2026, 3, 1)) == dt.date(2026 + years, 3, 1)
    assert scoring.next_review_date(rating, from_date=dt.date(2024, 2, 29)) == dt.date(2024 + years, 2, 28)


# --- the high-risk two-step approval ---------------------------------------------------------------


@pytest.fixture
def risky(people):
    customer = customer_create(type="person", first_name="Ivan", last_name="Risk", nationality="IR",
                               date_of_birth=dt.date(1980, 1, 1),
                               addresses=[{"line1": "Street 1", "city": "Tehran", "country": "IR"}])
    return in_review(customer, people)


def test_a_high_risk_approval_needs_a_second_approval_by_a_compliance_officer(risky, people):
    assert risky.risk_rating == "high"
    first = services.application_approve(application_id=risky.pk, actor=people.reviewer)
    assert (first.status, first.first_approval_by_id) == (S.IN_REVIEW, people.reviewer.pk)
    assert first.customer.kyc_status == Customer.KycStatus.PENDING
    with pytest.raises(services.exc.SameApprover):
        services.application_approve(application_id=risky.pk, actor=people.reviewer)
    approved = services.application_approve(application_id=risky.pk, actor=people.officer)
    assert (approved.status, approved.decided_by_id) == (S.APPROVED, people.officer.pk)
    approved.customer.refresh_from_db()
    assert approved.customer.risk_rating == "high"
    assert approved.customer.next_review_date.year == today().year + 1


def test_the_second_approval_must_come_from_a_compliance_officer(risky, people):
    services.application_approve(application_id=risky.pk, actor=people.officer)
    # the assignee (a reviewer, not an officer) may not give the second approval
    with pytest.raises(services.exc.ComplianceOfficerRequired):
        services.application_approve(application_id=risky.pk, actor=people.reviewer)
    with pytest.raises(services.exc.SameApprover):
        services.application_approve(application_id=risky.pk, actor=people.officer)
    assert KycApplication.objects.get(pk=risky.pk).status == S.IN_REVIEW
    approved = services.application_approve(application_id=risky.pk, actor=people.other_officer)
    assert approved.status == S.APPROVED


def test_requesting_information_drops_the_first_approval(risky, people):
    services.application_approve(application_id=risky.pk, actor=people.reviewer)
    application = services.application_request_information(application_id=risky.pk, actor=people.reviewer,
                                                            reason="source of funds")
    assert application.first_approval_by is None
