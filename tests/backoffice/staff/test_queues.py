"""Work queues (issue 9): each role's queues ordered by SLA with one click to the object, the KYC
application page (transitions through the KYC services, object permissions respected) and the
approval request page (maker-checker: a second person decides, the maker cannot)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.approvals.models import ApprovalRequest
from backoffice.kyc.models import KycApplication
from core_banking.accounts import services as accounts_services
from core_banking.accounts.models import Account
from core_banking.customers.models import Customer
from tests import banking

from .pages_world import compliance_case, kyc_in_review

pytestmark = pytest.mark.django_db
URL = reverse("staff:queues")


def page(client, url=URL, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def freeze_request(world, people) -> ApprovalRequest:
    accounts_services.account_transition(account_id=world.a.pk, action="freeze", actor=people.ops,
                                         reason="Suspected fraud")
    return ApprovalRequest.objects.get(action_type="account_freeze", status="pending")


def test_each_role_sees_its_queues(world, people, signed_in):
    application = kyc_in_review(world.carol, people)
    alert = compliance_case(world, people)
    request = freeze_request(world, people)
    reviewer = page(signed_in(people.reviewer))
    assert reverse("staff:kyc-application", args=[application.pk]) in reviewer
    assert reverse("compliance_staff:case", args=[alert.case_id]) in reviewer
    assert "My approvals" not in reviewer and "My tickets" not in reviewer
    officer = page(signed_in(people.officer))
    assert reverse("staff:approval", args=[request.pk]) in officer  # an officer checks account freezes
    ops = page(signed_in(people.ops))
    assert "My requests waiting for a checker" in ops and reverse("staff:approval", args=[request.pk]) in ops
    assert "KYC reviews nobody has yet" in ops
    support = page(signed_in(people.support))
    assert world.ticket.number in support and "(team)" in support
    nobody = page(signed_in(people.nobody))
    assert "no work queue" in nobody
    assert signed_in(people.ops2).get(URL).status_code == 200


def test_kyc_reviews_come_by_sla(world, people, signed_in):
    late = kyc_in_review(banking.customer(kyc="not_started", first_name="Old", last_name="Timer"), people)
    KycApplication.objects.filter(pk=late.pk).update(submitted_at=timezone.now() - dt.timedelta(days=30))
    fresh = kyc_in_review(world.carol, people)
    body = page(signed_in(people.reviewer))
    first = body.index(reverse("staff:kyc-application", args=[late.pk]))
    assert first < body.index(reverse("staff:kyc-application", args=[fresh.pk]))
    assert 'badge late' in body[first:first + 600]


def test_a_reviewer_approves_a_kyc_application(world, people, signed_in):
    application = kyc_in_review(world.carol, people, start=False)
    reviewer = signed_in(people.reviewer)
    url = reverse("staff:kyc-application", args=[application.pk])
    body = page(reviewer, url)
    assert "Start review" in body and "passport.pdf" in body
    action = reverse("staff:kyc-action", args=[application.pk])
    assert reviewer.post(action, {"action": "start_review"}).status_code == 302
    refused = reviewer.post(action, {"action": "reject", "reason": "no", "reason_code": ""})
    assert refused.status_code in (400, 409) and "Refused" in refused.content.decode()
    assert reviewer.post(action, {"action": "approve", "reason": "all good"}).status_code == 302
    assert KycApplication.objects.get(pk=application.pk).status == "approved"
    assert Customer.objects.get(pk=world.carol.pk).kyc_status == "approved"


def test_the_kyc_page_respects_the_assignment(world, people, signed_in):
    from tests.core_banking.ledger.interfaces import staff_user

    application = kyc_in_review(world.carol, people)
    other = signed_in(staff_user("compliance_reviewer", username="other-reviewer"))
    body = page(other, reverse("staff:kyc-application", args=[application.pk]))
    assert "Nothing for you to do" in body and "does not show them" in body  # not their application: no documents
    refused = other.post(reverse("staff:kyc-action", args=[application.pk]), {"action": "approve"})
    assert refused.status_code == 403 and "Refused" in refused.content.decode()
    assert KycApplication.objects.get(pk=application.pk).status == "in_review"
    assert signed_in(people.finance).get(reverse("staff:kyc-application", args=[application.pk])).status_code == 403
    assert signed_in(people.reviewer).get(reverse("staff:kyc-application", args=[99999])).status_code == 404


def test_maker_checker_on_the_approval_page(world, people, signed_in):
    request = freeze_request(world, people)
    url = reverse("staff:approval", args=[request.pk])
    action = reverse("staff:approval-action", args=[request.pk])
    maker = signed_in(people.ops)
    body = page(maker, url)
    assert "Cancel my request" in body and ">Approve<" not in body and world.a.iban in body
    assert maker.post(action, {"action": "approve"}).status_code in (403, 409)
    assert Account.objects.get(pk=world.a.pk).status == "active"
    checker = signed_in(people.officer)
    assert "Approve" in page(checker, url)
    no_reason = checker.post(action, {"action": "reject", "comment": ""})
    assert no_reason.status_code == 400 and "Say why" in no_reason.content.decode()
    assert checker.post(action, {"action": "approve", "comment": "ok"}).status_code == 302
    assert Account.objects.get(pk=world.a.pk).status == "frozen"
    assert ApprovalRequest.objects.get(pk=request.pk).status == "executed"
    assert "Executed" in page(checker, url)
    assert signed_in(people.nobody).get(url).status_code == 403


def test_queue_query_count_is_fixed(world, people, signed_in, django_assert_max_num_queries):
    kyc_in_review(world.carol, people)
    compliance_case(world, people)
    reviewer = signed_in(people.reviewer)
    page(reviewer)
    with django_assert_max_num_queries(25) as few:
        page(reviewer)
    for n in range(5):
        kyc_in_review(banking.customer(kyc="not_started", first_name="Many", last_name=f"More{n}"), people)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert page(reviewer).count("/staff/kyc/") >= 6
