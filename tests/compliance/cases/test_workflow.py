"""Case transitions, assignment with object permissions, notes and SLA escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from guardian.shortcuts import get_users_with_perms

from compliance.cases import exceptions as exc
from compliance.cases import selectors, services, tasks
from compliance.cases.models import Alert, Case, CaseStatusChange
from core_banking.audit.models import AuditEvent
from tests import banking

from .conftest import raise_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(people):
    ada = banking.customer(first_name="Ada", last_name="Lovelace")
    alert = raise_alert(ada, "w1")
    return Case.objects.get(pk=alert.case_id)


def _decide_all(case, actor, decision="clear"):
    for alert in case.alerts.filter(status="open"):
        services.alert_decide(alert_id=alert.pk, decision=decision, note="looked at it", actor=actor)


def test_the_lifecycle_writes_history_and_audit(case, people):
    services.case_assign(case_id=case.pk, assignee=people.reviewer, actor=people.officer)
    services.case_transition(case_id=case.pk, action="investigate", actor=people.reviewer)
    services.case_transition(case_id=case.pk, action="escalate", actor=people.reviewer, reason="large network")
    _decide_all(case, people.reviewer)
    closed = services.case_transition(case_id=case.pk, action="close_no_action", actor=people.reviewer,
                                      reason="salary from a known employer")
    assert closed.status == "closed_no_action" and closed.closed_at and closed.escalated_at
    assert closed.resolution == "salary from a known employer"
    rows = list(case.history.values_list("action", "from_status", "to_status"))
    assert rows[0] == ("open", "", "open") and rows[-1] == ("close_no_action", "escalated", "closed_no_action")
    assert ("investigate", "open", "investigating") in rows and ("assign", "open", "open") in rows
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"compliance.case_assigned", "compliance.case_investigating", "compliance.case_escalated",
            "compliance.alert_cleared", "compliance.case_closed_no_action"} <= actions


def test_refusals(case, people):
    with pytest.raises(exc.UnknownCaseAction):
        services.case_transition(case_id=case.pk, action="reopen", actor=people.officer)
    with pytest.raises(exc.CaseNotFound):
        services.case_transition(case_id=999999, action="investigate", actor=people.officer)
    with pytest.raises(exc.ReasonRequired):
        services.case_transition(case_id=case.pk, action="close_no_action", actor=people.officer, reason=" ")
    with pytest.raises(exc.AlertsUndecided) as undecided:
        services.case_transition(case_id=case.pk, action="close_no_action", actor=people.officer, reason="ok")
    assert undecided.value.code == "alerts_undecided"
    with pytest.raises(exc.TransitionNotAllowed):  # open -> reported is not a transition
        services.case_transition(case_id=case.pk, action="report", actor=people.officer)
    services.case_transition(case_id=case.pk, action="investigate", actor=people.officer)
    with pytest.raises(exc.ReportNotFiled):
        services.case_transition(case_id=case.pk, action="report", actor=people.officer)
    with pytest.raises(exc.TransitionNotAllowed):
        services.case_transition(case_id=case.pk, action="investigate", actor=people.officer)
    with pytest.raises(exc.CasePermissionRefused):
        services.case_transition(case_id=case.pk, action="escalate", actor=people.support)
    case.refresh_from_db()
    assert case.status == "investigating"


def test_a_reviewer_works_only_the_cases_assigned_to_them_and_managers_any(case, people):
    with pytest.raises(exc.NotAssignee):
        services.case_transition(case_id=case.pk, action="investigate", actor=people.reviewer)
    with pytest.raises(exc.NotAssignee):
        services.case_note_add(case_id=case.pk, text="hmm", actor=people.reviewer)
    services.case_assign(case_id=case.pk, assignee=people.reviewer.pk, actor=people.officer)
    assert set(get_users_with_perms(case, only_with_perms_in=["work_case"])) == {people.reviewer}
    services.case_note_add(case_id=case.pk, text="first look", actor=people.reviewer)
    with pytest.raises(exc.NotAssignee):
        services.case_note_add(case_id=case.pk, text="me too", actor=people.other_reviewer)
    # Reassigned: the permission moves.
    services.case_assign(case_id=case.pk, assignee=people.other_reviewer, actor=people.officer)
    assert set(get_users_with_perms(case, only_with_perms_in=["work_case"])) == {people.other_reviewer}
    reviewer = type(people.reviewer).objects.get(pk=people.reviewer.pk)  # fresh permission cache
    with pytest.raises(exc.NotAssignee):
        services.case_transition(case_id=case.pk, action="investigate", actor=reviewer)
    services.case_transition(case_id=case.pk, action="investigate", actor=people.other_reviewer)
    services.case_transition(case_id=case.pk, action="escalate", actor=people.officer)  # manage_case: any case


def test_assignment_rules(case, people):
    with pytest.raises(exc.CasePermissionRefused):  # a reviewer may not assign to someone else
        services.case_assign(case_id=case.pk, assignee=people.other_reviewer, actor=people.reviewer)
    services.case_assign(case_id=case.pk, assignee=people.reviewer, actor=people.reviewer)  # claim
    with pytest.raises(exc.CasePermissionRefused):  # nor take it over once claimed
        services.case_assign(case_id=case.pk, assignee=people.other_reviewer, actor=people.other_reviewer)
    with pytest.raises(exc.InvalidAssignee):
        services.case_assign(case_id=case.pk, assignee=people.support, actor=people.officer)
    with pytest.raises(exc.CasePermissionRefused):
        services.case_assign(case_id=case.pk, assignee=people.support, actor=people.support)
    services.case_assign(case_id=case.pk, assignee=None, actor=people.officer)
    case.refresh_from_db()
    assert case.assignee is None and not get_users_with_perms(case, only_with_perms_in=["work_case"])


def test_notes_and_closed_cases(case, people):
    with pytest.raises(exc.InvalidNote):
        services.case_note_add(case_id=case.pk, text="  ", actor=people.officer)
    _decide_all(case, people.officer)
    services.case_transition(case_id=case.pk, action="close_no_action", actor=people.officer, reason="fine")
    with pytest.raises(exc.CaseClosed):
        services.case_note_add(case_id=case.pk, text="late", actor=people.officer)
    with pytest.raises(exc.CaseClosed):
        services.case_assign(case_id=case.pk, assignee=people.reviewer, actor=people.officer)


def test_alert_decision_rules(case, people):
    alert = case.alerts.get()
    with pytest.raises(exc.NotAssignee):
        services.alert_decide(alert_id=alert.pk, decision="clear", note="x", actor=people.reviewer)
    with pytest.raises(exc.CasePermissionRefused):
        services.alert_decide(alert_id=alert.pk, decision="clear", note="x", actor=people.support)
    with pytest.raises(exc.InvalidDecision):
        services.alert_decide(alert_id=alert.pk, decision="maybe", note="x", actor=people.officer)
    with pytest.raises(exc.ReasonRequired):
        services.alert_decide(alert_id=alert.pk, decision="clear", note="", actor=people.officer)
    decided = services.alert_decide(alert_id=alert.pk, decision="confirm", note="structuring", actor=people.officer)
    assert (decided.status, decided.decided_by, decided.decision_note) == ("confirmed", people.officer, "structuring")
    assert decided.payment_action == ""
    with pytest.raises(exc.AlertAlreadyDecided):
        services.alert_decide(alert_id=alert.pk, decision="clear", note="x", actor=people.officer)
    with pytest.raises(exc.AlertNotFound):
        services.alert_decide(alert_id=999999, decision="clear", note="x", actor=people.officer)


def test_overdue_cases_are_escalated_once(people):
    now = timezone.now()
    ada, bob, cy, di = (banking.customer() for _ in range(4))
    late_open = Case.objects.get(pk=raise_alert(ada, "a").case_id)
    late_investigating = Case.objects.get(pk=raise_alert(bob, "b").case_id)
    on_time = Case.objects.get(pk=raise_alert(cy, "c").case_id)
    late_closed = Case.objects.get(pk=raise_alert(di, "d").case_id)
    services.case_transition(case_id=late_investigating.pk, action="investigate", actor=people.officer)
    _decide_all(late_closed, people.officer)
    services.case_transition(case_id=late_closed.pk, action="close_no_action", actor=people.officer, reason="ok")
    Case.objects.filter(pk__in=[late_open.pk, late_investigating.pk, late_closed.pk]).update(
        due_at=now - dt.timedelta(hours=1))
    assert tasks.escalate_overdue_cases.delay().get() == 2
    assert services.escalate_overdue_cases() == 0
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert statuses[late_open.pk] == statuses[late_investigating.pk] == "escalated"
    assert statuses[on_time.pk] == "open" and statuses[late_closed.pk] == "closed_no_action"
    rows = CaseStatusChange.objects.filter(action="escalate_sla")
    assert sorted(rows.values_list("from_status", flat=True)) == ["investigating", "open"]
    assert AuditEvent.objects.filter(action="compliance.case_sla_escalated").count() == 2
    assert Case.objects.get(pk=late_open.pk).escalated_at is not None


def test_ageing_buckets_and_queue(people):
    now = timezone.now()
    cases = []
    for days in (0, 2, 5, 10):
        customer = banking.customer()
        case = Case.objects.get(pk=raise_alert(customer, f"age{days}", score=10 + days).case_id)
        Case.objects.filter(pk=case.pk).update(opened_at=now - dt.timedelta(days=days, minutes=1))
        Alert.objects.filter(case=case).update(created_at=now - dt.timedelta(days=days, minutes=1))
        cases.append(case)
    buckets = {row["bucket"]: row["cases"] for row in selectors.ageing_summary()}
    assert buckets == {"0-1d": 1, "1-3d": 1, "3-7d": 1, "7d+": 1}
    by_age = list(selectors.case_search(ordering="age").values_list("pk", "age_bucket"))
    assert by_age == [(cases[3].pk, "7d+"), (cases[2].pk, "3-7d"), (cases[1].pk, "1-3d"), (cases[0].pk, "0-1d")]
    assert [c.pk for c in selectors.case_search(bucket="3-7d")] == [cases[2].pk]
    assert [c.pk for c in selectors.case_search(ordering="-score")][0] == cases[3].pk
    assert [a.case_id for a in selectors.alert_search(min_score=15, ordering="score")] == [cases[2].pk, cases[3].pk]
    services.case_assign(case_id=cases[1].pk, assignee=people.reviewer, actor=people.officer)
    assert [c.pk for c in selectors.case_search(assignee_id=people.reviewer.pk)] == [cases[1].pk]
