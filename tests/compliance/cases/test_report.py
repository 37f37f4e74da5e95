"""The suspicious activity report: its content, its digest, append-only, and the case reported."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import IntegrityError, transaction

from compliance.cases import exceptions as exc
from compliance.cases import services
from compliance.cases.models import Case, SuspiciousActivityReport

from .conftest import held_payment, raise_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigated(world, people):
    payment = held_payment(world)
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment, score=70)
    raise_alert(world.ada, "screen:ofac:42", source="screening", rule="OFAC-SDN", score=55,
                facts={"entry": "OFAC-42", "matched_name": "Ada Lovelace", "score": 0.91})
    case = Case.objects.get(pk=alert.case_id)
    services.case_transition(case_id=case.pk, action="investigate", actor=people.officer)
    return case, payment


def test_the_report_carries_the_case_subject_alerts_and_payments(investigated, people, settings):
    case, payment = investigated
    with pytest.raises(exc.AlertsUndecided):
        services.case_report_file(case_id=case.pk, actor=people.officer, narrative="Layering")
    for alert in case.alerts.all():
        services.alert_decide(alert_id=alert.pk, decision="confirm", note="suspicious", actor=people.officer)
    with pytest.raises(exc.ReasonRequired):
        services.case_report_file(case_id=case.pk, actor=people.officer, narrative=" ")
    report = services.case_report_file(case_id=case.pk, actor=people.officer, narrative="Layering via a mule")
    case.refresh_from_db()
    assert case.status == "reported" and case.closed_at and "SAR-" in case.resolution
    assert report.sha256 == hashlib.sha256(report.document.encode()).hexdigest()
    doc = json.loads(report.document)
    assert doc["format"] == services.SAR_FORMAT and doc["reference"] == f"SAR-{case.number}"
    assert doc["reporting_institution"] == {"name": settings.BANK_NAME, "code": settings.BANK_CODE,
                                            "country": settings.BANK_COUNTRY}
    assert doc["case"]["number"] == case.number
    subject = doc["subject"]
    assert subject["name"] == "Ada Lovelace" and subject["date_of_birth"] == "1985-05-17"  # unmasked
    assert subject["addresses"][0]["city"] == "Amsterdam" and subject["email"].endswith("@example.test")
    assert {"type": "customer_number", "value": case.customer.number} in subject["identifiers"]
    rules = {(a["source"], a["rule_code"], a["rule_version"]) for a in doc["alerts"]}
    assert rules == {("monitoring", "large_amount", 2), ("screening", "OFAC-SDN", 2)}
    assert all(a["decision"] == "confirmed" and a["facts"] for a in doc["alerts"])
    assert [p["reference"] for p in doc["payments"]] == [payment.reference]
    assert doc["payments"][0]["amount"] == "1200.00" and doc["payments"][0]["currency"] == "EUR"
    assert doc["payments"][0]["status"] == "rejected"
    assert doc["narrative"] == "Layering via a mule" and doc["filed_by"]["username"] == "officer"
    with pytest.raises(exc.ReportAlreadyFiled):
        services.case_report_file(case_id=case.pk, actor=people.officer, narrative="again")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        SuspiciousActivityReport.objects.filter(pk=report.pk).update(document="{}")


def test_only_a_reporting_officer_files_and_only_from_investigation(investigated, people):
    case, _payment = investigated
    for alert in case.alerts.all():
        services.alert_decide(alert_id=alert.pk, decision="clear", note="n/a", actor=people.officer)
    services.case_assign(case_id=case.pk, assignee=people.reviewer, actor=people.officer)
    with pytest.raises(exc.CasePermissionRefused):
        services.case_report_file(case_id=case.pk, actor=people.reviewer, narrative="x")
    services.case_transition(case_id=case.pk, action="close_no_action", actor=people.reviewer, reason="all clear")
    with pytest.raises(exc.TransitionNotAllowed):
        services.case_report_file(case_id=case.pk, actor=people.officer, narrative="x")
