"""A screening hit blocks the KYC approval until a compliance reviewer decides it: cleared, the
approval goes on; confirmed, only rejection is left."""

import datetime as dt
from types import SimpleNamespace

import pytest

from backoffice.kyc import exceptions as kyc_exc
from backoffice.kyc import services as kyc
from compliance.cases import services as cases
from compliance.screening.models import ScreeningHit
from core_banking.customers.models import Customer
from tests import banking
from tests.backoffice.kyc.conftest import in_review
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    ensure_roles()
    return SimpleNamespace(ops=staff_user("operations", username="ops"),
                           reviewer=staff_user("compliance_reviewer", username="reviewer"),
                           officer=staff_user("compliance_officer", username="officer"))


def bout(nationality="NL"):
    return banking.customer(kyc="not_started", first_name="Viktor", last_name="Bout",
                            date_of_birth=dt.date(1968, 2, 2), nationality=nationality, occupation="Pilot")


def test_an_open_possible_match_blocks_approval_until_cleared(sample, hook, people):
    customer = bout()
    application = in_review(customer, people)
    assert application.screening_outcome == "possible_match"
    with pytest.raises(kyc_exc.ScreeningUnresolved) as refused:
        kyc.application_approve(application_id=application.pk, actor=people.reviewer)
    assert refused.value.code == "kyc_screening_unresolved"
    assert refused.value.extra["subjects"][0]["reference"] == customer.number
    application.refresh_from_db()
    customer.refresh_from_db()
    assert (application.status, customer.kyc_status) == ("in_review", Customer.KycStatus.PENDING)

    hit = ScreeningHit.objects.get(customer=customer)
    cases.alert_decide(alert_id=hit.alert_id, decision="clear", note="Dutch pilot, other person",
                       actor=people.officer)
    approved = kyc.application_approve(application_id=application.pk, actor=people.reviewer, reason="ok")
    customer.refresh_from_db()
    assert (approved.status, customer.kyc_status) == ("approved", Customer.KycStatus.APPROVED)


def test_a_confirmed_hit_leaves_only_rejection(sample, hook, people):
    customer = bout()
    application = in_review(customer, people)
    hit = ScreeningHit.objects.get(customer=customer)
    cases.alert_decide(alert_id=hit.alert_id, decision="confirm", note="same person", actor=people.officer)
    with pytest.raises(kyc_exc.ScreeningMatch) as refused:
        kyc.application_approve(application_id=application.pk, actor=people.reviewer)
    assert refused.value.code == "kyc_screening_match"
    application.refresh_from_db()
    assert application.status == "in_review"
    kyc.application_reject(application_id=application.pk, reason_code="screening_match", actor=people.reviewer,
                           reason="confirmed sanctions match")
    application.refresh_from_db()
    assert application.status == "rejected"


def test_a_list_update_after_submission_blocks_the_approval(hook, people, settings):
    """Submitted while no list was active (clear); the list loaded since then finds the customer:
    approval screens again and stops."""
    from compliance.screening import demo, matching

    customer = bout()
    application = in_review(customer, people)
    assert application.screening_outcome == "clear"
    demo.load_sample()
    matching.invalidate()
    with pytest.raises(kyc_exc.ScreeningUnresolved):
        kyc.application_approve(application_id=application.pk, actor=people.reviewer)
