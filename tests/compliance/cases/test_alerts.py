"""alert_raise: alerts group into one open case per customer; duplicates are one alert."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from compliance.cases.models import Alert, Case
from compliance.cases.services import alert_raise, sla_hours
from tests import banking

pytestmark = pytest.mark.django_db


def _raise(customer, key, score=40, **kw):
    return alert_raise(customer_id=customer.pk, source="monitoring", rule_code=kw.pop("rule", "large_amount"),
                       summary="Large amount", score=score, dedup_key=key, facts={"amount": "15000.00"}, **kw)


def test_alerts_of_a_customer_join_one_open_case_with_the_highest_score():
    ada = banking.customer()
    first, created = _raise(ada, "p1:large_amount", score=40)
    second, _ = _raise(ada, "p2:velocity", score=85, rule="velocity", rule_version=3)
    assert created and first.case_id == second.case_id
    case = Case.objects.get()
    assert case.number == f"CASE-{case.pk:07d}" and case.status == "open" and case.score == 85
    assert second.rule_version == 3 and second.facts == {"amount": "15000.00"}
    assert case.due_at - case.opened_at < timezone.timedelta(hours=sla_hours(40) + 1)
    assert list(case.history.values_list("from_status", "to_status")) == [("", "open")]


def test_the_same_finding_twice_is_one_alert():
    ada = banking.customer()
    first, _ = _raise(ada, "p1:large_amount")
    again, created = _raise(ada, "p1:large_amount", score=99)
    assert not created and again.pk == first.pk and Alert.objects.count() == 1
    assert Case.objects.get().score == 40


def test_another_customer_gets_another_case_and_a_closed_case_is_not_reused():
    ada, bob = banking.customer(), banking.customer()
    a, _ = _raise(ada, "a1")
    b, _ = _raise(bob, "b1")
    assert a.case_id != b.case_id
    Case.objects.filter(pk=a.case_id).update(status="closed_no_action", closed_at=timezone.now(), resolution="ok")
    c, _ = _raise(ada, "a2")
    assert c.case_id not in (a.case_id, b.case_id)


def test_the_database_keeps_one_open_case_per_customer_and_decided_alerts_explained():
    ada = banking.customer()
    alert, _ = _raise(ada, "a1")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO compliance_cases_case (number, customer_id, status, score, opened_at, due_at, "
                       "resolution) VALUES ('X', %s, 'investigating', 1, now(), now(), '')", [ada.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE compliance_cases_alert SET status = 'cleared' WHERE id = %s", [alert.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE compliance_cases_case SET status = 'reported' WHERE id = %s", [alert.case_id])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM compliance_cases_casestatuschange")
    assert Case.objects.filter(pk=alert.case_id, status="open").exists()
