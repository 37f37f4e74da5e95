"""The KYC hook: outcomes, hits, alerts on the customer's case, owners attributed to the business,
a reviewer's decision; and the rescreen after a list update."""

import datetime as dt

import pytest

from backoffice.kyc import checks
from backoffice.kyc import screening as kyc
from compliance.cases import services as cases
from compliance.cases.exceptions import NotAssignee
from compliance.cases.models import Alert
from compliance.screening import exceptions as exc
from compliance.screening import services, tasks
from compliance.screening.models import ScreeningHit
from core_banking.audit.models import AuditEvent
from core_banking.customers.models import RelatedParty
from tests import banking
from tests.core_banking.ledger.interfaces import staff_user

pytestmark = pytest.mark.django_db


def screen(customer):
    return {s.subject.reference: s.result for s in checks.gather_screening(customer)}


def test_a_listed_customer_is_a_match_with_a_hit_and_an_alert(sample, hook):
    customer = banking.customer(first_name="Wladimir", last_name="Putin", date_of_birth=dt.date(1952, 10, 7),
                                nationality="RU")
    result = screen(customer)[customer.number]
    assert result.outcome == kyc.MATCH
    assert result.details["hits"][0]["external_id"] == "sample-putin"
    hit = ScreeningHit.objects.get()
    assert (hit.customer_id, hit.status, hit.outcome, hit.context) == (customer.pk, "open", "match", "kyc")
    alert = Alert.objects.get()
    assert (alert.customer_id, alert.source, alert.rule_code, alert.dedup_key, alert.score) == (
        customer.pk, "screening", "SAMPLE", f"customer:{customer.pk}:sample-putin", hit.score)
    assert hit.alert_id == alert.pk
    # Screening again finds the same hit and the same alert.
    assert screen(customer)[customer.number].outcome == kyc.MATCH
    assert (ScreeningHit.objects.count(), Alert.objects.count()) == (1, 1)


def test_an_unlisted_customer_is_clear(sample, hook):
    customer = banking.customer(first_name="Vladimir", last_name="Putilin", date_of_birth=dt.date(1980, 1, 1))
    assert screen(customer)[customer.number].outcome == kyc.CLEAR
    assert not ScreeningHit.objects.exists() and not Alert.objects.exists()


def test_a_possible_match_then_cleared_by_a_reviewer(sample, hook):
    customer = banking.customer(first_name="Viktor", last_name="Bout", date_of_birth=dt.date(1968, 2, 2),
                                nationality="NL")
    result = screen(customer)[customer.number]
    assert result.outcome == kyc.POSSIBLE_MATCH, result.details
    hit = ScreeningHit.objects.get(customer=customer)
    reviewer = staff_user("compliance_reviewer")
    # The hit raised an alert on the customer's case: it is decided through the case, whose
    # worker (the assignee, or an officer) decides; an unassigned reviewer may not.
    with pytest.raises(NotAssignee):
        services.hit_decide(hit_id=hit.pk, status="cleared", note="not mine", actor=reviewer)
    cases.case_assign(case_id=hit.alert.case_id, assignee=reviewer, actor=staff_user("compliance_officer"))
    with pytest.raises(exc.ReasonRequired):
        services.hit_decide(hit_id=hit.pk, status="cleared", note=" ", actor=reviewer)
    services.hit_decide(hit_id=hit.pk, status="cleared", note="Dutch national, other person", actor=reviewer)
    with pytest.raises(exc.ScreeningHitDecided):
        services.hit_decide(hit_id=hit.pk, status="confirmed", note="again", actor=reviewer)
    again = screen(customer)[customer.number]
    assert again.outcome == kyc.CLEAR and "cleared" in again.detail
    alert = Alert.objects.get(pk=hit.alert_id)  # one decision: the alert went with the hit
    assert (alert.status, alert.decided_by) == ("cleared", reviewer)


def test_a_confirmed_hit_is_a_match(sample, hook):
    customer = banking.customer(first_name="Viktor", last_name="Bout", date_of_birth=dt.date(1968, 2, 2),
                                nationality="NL")
    screen(customer)
    hit = ScreeningHit.objects.get(customer=customer)
    services.hit_decide(hit_id=hit.pk, status="confirmed", note="same person", actor=staff_user("compliance_officer"))
    assert screen(customer)[customer.number].outcome == kyc.MATCH
    assert Alert.objects.get(pk=hit.alert_id).status == "confirmed"


def test_deciding_the_alert_decides_its_hits(sample, hook):
    customer = banking.customer(first_name="Viktor", last_name="Bout", date_of_birth=dt.date(1968, 2, 2),
                                nationality="NL")
    screen(customer)
    hit = ScreeningHit.objects.get(customer=customer)
    officer = staff_user("compliance_officer")
    cases.alert_decide(alert_id=hit.alert_id, decision="clear", note="other person, other birth date", actor=officer)
    hit.refresh_from_db()
    assert (hit.status, hit.decided_by, hit.decision_note) == ("cleared", officer, "other person, other birth date")
    assert AuditEvent.objects.filter(action="screening.hit_cleared", object_id=str(hit.pk)).exists()
    assert screen(customer)[customer.number].outcome == kyc.CLEAR
    with pytest.raises(exc.ScreeningHitDecided):  # the hit went with its alert
        services.hit_decide(hit_id=hit.pk, status="confirmed", note="again", actor=officer)


def test_deciding_a_hit_needs_the_permission(sample, hook):
    customer = banking.customer(first_name="Viktor", last_name="Bout", date_of_birth=dt.date(1968, 2, 2))
    screen(customer)
    hit = ScreeningHit.objects.get(customer=customer)
    with pytest.raises(exc.ScreeningPermissionRefused):
        services.hit_decide(hit_id=hit.pk, status="cleared", note="no", actor=staff_user("operations"))
    hit.refresh_from_db()
    assert hit.status == "open"


def test_a_beneficial_owner_is_attributed_to_the_business(sample, hook):
    business = banking.customer(type="business", legal_name="Harmless Trading B.V.")
    owner = RelatedParty.objects.create(business=business, role=RelatedParty.Role.BENEFICIAL_OWNER,
                                        first_name="Oleg", last_name="Deripaska", date_of_birth=dt.date(1968, 1, 2),
                                        ownership_percent=50, nationality="RU")
    results = screen(business)
    assert results[business.number].outcome == kyc.CLEAR
    assert results[f"{business.number}/owner/{owner.pk}"].outcome == kyc.MATCH
    alert = Alert.objects.get()
    assert (alert.customer_id, alert.dedup_key) == (business.pk, f"customer:{business.pk}:sample-deripaska")
    assert ScreeningHit.objects.get().subject_reference == f"{business.number}/owner/{owner.pk}"


def test_the_kyc_checks_fail_on_a_match(sample, hook):
    customer = banking.customer(first_name="Sergey", last_name="Lavrov", date_of_birth=dt.date(1950, 3, 21))
    outcomes = checks.check_screening(checks.gather_screening(customer))
    assert [(o.code, o.outcome) for o in outcomes] == [("screening", "fail")]


def test_an_unknown_subject_gets_a_hit_but_no_alert(sample, hook):
    result = kyc.screen(kyc.ScreeningSubject(kind="person", name="Vladimir Putin", reference="prospect-17"))
    assert result.outcome == kyc.MATCH
    assert ScreeningHit.objects.get().customer_id is None and not Alert.objects.exists()


def test_rescreening_after_a_list_update(sample):
    listed = banking.customer(first_name="Igor", last_name="Sechin", date_of_birth=dt.date(1960, 9, 7))
    banking.customer(first_name="Ada", last_name="Lovelace")
    business = banking.customer(type="business", legal_name="Rosneft Oil Company")
    first = tasks.rescreen_customers(batch_size=2)
    assert first["new_hits"] == 2 and first["screened"] == 3
    assert set(Alert.objects.values_list("customer_id", flat=True)) == {listed.pk, business.pk}
    second = tasks.rescreen_customers()
    assert (second["new_hits"], Alert.objects.count()) == (0, 2)
