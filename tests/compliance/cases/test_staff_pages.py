"""The compliance staff pages and the admin: render, act through the services, show errors, and
only to who holds the permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.cases import services
from compliance.cases.models import Case
from core_banking.payments.models import Payment
from tests.core_banking.ledger.interfaces import sign_in

from .conftest import held_payment, raise_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    payment = held_payment(world)
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment, score=70)
    return Case.objects.get(pk=alert.case_id)


def test_queue_renders_with_filters_and_only_for_compliance(case, people, client):
    sign_in(client, people.reviewer)
    page = client.get(reverse("compliance_staff:queue"), {"min_score": 50, "age": "0-1d", "ordering": "-score"})
    assert page.status_code == 200
    assert case.number in page.content.decode() and "Open alerts" in page.content.decode()
    assert case.number not in client.get(reverse("compliance_staff:queue"), {"min_score": 90}).content.decode()
    bad = client.get(reverse("compliance_staff:queue"), {"min_score": 500})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    for user in (people.support, people.ops):
        other = sign_in(type(client)(), user)
        assert other.get(reverse("compliance_staff:queue")).status_code == 403
        assert other.get(reverse("compliance_staff:case", args=[case.pk])).status_code == 403
    anonymous = type(client)().get(reverse("compliance_staff:queue"))
    assert anonymous.status_code == 302 and reverse("staff:login") in anonymous["Location"]


def test_a_reviewer_sees_no_forms_until_assigned_then_works_the_case(case, people, client):
    sign_in(client, people.reviewer)
    url = reverse("compliance_staff:case", args=[case.pk])
    page = client.get(url).content.decode()
    assert "Ada Lovelace" in page and "large_amount" in page and "Assign to me" in page
    assert "Add note" not in page and "Clear (false positive)" not in page
    refused = client.post(reverse("compliance_staff:case-action", args=[case.pk, "note"]), {"text": "sneaky"})
    assert refused.status_code == 403 and "not assigned to you" in refused.content.decode()
    claimed = client.post(reverse("compliance_staff:case-action", args=[case.pk, "claim"]))
    assert claimed.status_code == 302
    page = client.get(url).content.decode()
    assert "Add note" in page and "Clear (false positive): release payment" in page and "Start investigating" in page
    note = client.post(reverse("compliance_staff:case-action", args=[case.pk, "note"]), {"text": "ok"})
    assert note.status_code == 302
    assert case.notes.get().text == "ok"
    empty = client.post(reverse("compliance_staff:case-action", args=[case.pk, "note"]), {"text": ""})
    assert empty.status_code == 400 and "errorlist" in empty.content.decode()
    moved = client.post(reverse("compliance_staff:case-action", args=[case.pk, "transition"]),
                        {"action": "investigate"})
    assert moved.status_code == 302
    closing = client.post(reverse("compliance_staff:case-action", args=[case.pk, "transition"]),
                          {"action": "close_no_action", "reason": "fine"})
    assert closing.status_code == 409 and "not yet cleared or confirmed" in closing.content.decode()
    alert = case.alerts.get()
    decided = client.post(reverse("compliance_staff:case-action", args=[case.pk, "decide"]),
                          {"alert": alert.pk, "decision": "confirm", "note": "mule"})
    assert decided.status_code == 302
    assert Payment.objects.get(pk=alert.payment_id).status == "rejected"
    done = client.post(reverse("compliance_staff:case-action", args=[case.pk, "transition"]),
                       {"action": "close_no_action", "reason": "exited the relationship"})
    assert done.status_code == 302 and Case.objects.get(pk=case.pk).status == "closed_no_action"
    assert "Add note" not in client.get(url).content.decode()


def test_an_officer_assigns_attaches_and_files_the_report(case, people, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in(client, people.officer)

    def act(name, data):
        return client.post(reverse("compliance_staff:case-action", args=[case.pk, name]), data)

    assert act("assign", {"assignee": people.reviewer.pk}).status_code == 302
    assert Case.objects.get(pk=case.pk).assignee == people.reviewer
    upload = SimpleUploadedFile("evidence.txt", b"call notes", content_type="text/plain")
    assert act("attachment", {"file": upload, "description": "call"}).status_code == 302
    attachment = case.attachments.get()
    download = client.get(reverse("compliance_staff:attachment-download", args=[case.pk, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"call notes"
    other = sign_in(type(client)(), people.other_reviewer)
    assert other.get(reverse("compliance_staff:attachment-download", args=[case.pk, attachment.pk])).status_code == 403
    act("transition", {"action": "investigate"})
    act("decide", {"alert": case.alerts.get().pk, "decision": "clear", "note": "ok"})
    assert act("report", {"narrative": ""}).status_code == 400
    assert act("report", {"narrative": "Structuring"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "reported"
    export = client.get(reverse("compliance_staff:report-export", args=[case.pk]))
    assert export.status_code == 200 and b"Structuring" in export.content


def test_admin_lists_and_actions_go_through_the_services(case, people, client):
    sign_in(client, people.reviewer)
    changelist = reverse("admin:compliance_cases_case_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:compliance_cases_case_change", args=[case.pk])).status_code == 200
    assert client.get(reverse("admin:compliance_cases_alert_changelist")).status_code == 200
    client.post(changelist, {"action": "escalate_selected", "_selected_action": [case.pk]})
    assert Case.objects.get(pk=case.pk).status == "open"  # not assigned: refused, shown as an error
    client.post(changelist, {"action": "assign_to_me", "_selected_action": [case.pk]})
    client.post(changelist, {"action": "escalate_selected", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.assignee == people.reviewer and case.status == "escalated"
    support = sign_in(type(client)(), people.support)
    assert support.get(changelist).status_code == 403
    services.case_assign(case_id=case.pk, assignee=None, actor=people.officer)


def test_the_staff_home_links_to_the_queue_only_for_compliance(people, client):
    sign_in(client, people.reviewer)
    assert reverse("compliance_staff:queue") in client.get(reverse("staff:home")).content.decode()
    other = sign_in(type(client)(), people.support)
    assert reverse("compliance_staff:queue") not in other.get(reverse("staff:home")).content.decode()
