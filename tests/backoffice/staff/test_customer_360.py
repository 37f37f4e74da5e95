"""Customer 360° (issue 9): every section for who may see it, personal data masked for support,
the actions (open a ticket, request an account freeze through maker-checker, request a document)
through the services with their errors on the page, and a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backoffice.approvals.models import ApprovalRequest
from backoffice.kyc.models import KycApplication
from backoffice.tickets.models import Ticket
from core_banking.accounts.models import Account
from core_banking.payments import services as payments

from .pages_world import compliance_case, kyc_in_review

pytestmark = pytest.mark.django_db


def page_url(customer):
    return reverse("staff:customer", args=[customer.pk])


def act(client, customer, action, data):
    return client.post(reverse("staff:customer-action", args=[customer.pk, action]), data)


def test_operations_see_everything_unmasked(world, people, signed_in):
    compliance_case(world, people)
    page = signed_in(people.officer).get(page_url(world.ada)).content.decode()
    for text in ("Ada Lovelace", "ada@example.test", "+31 20 555 0101", "1815-12-10", world.a.iban,
                 "4,737.50 EUR",  # posted: 5000 - 12.50 - 250
                 world.internal.reference, world.outgoing.reference, world.ticket.number, "large_amount",
                 "Audit history", "Approvals in flight"):
        assert text in page, text
    assert "Personal data is masked" not in page


def test_support_sees_personal_data_masked_and_no_compliance(world, people, signed_in):
    compliance_case(world, people)
    page = signed_in(people.support).get(page_url(world.ada)).content.decode()
    assert "Personal data is masked" in page and "a***@example.test" in page and "18**-**-**" in page
    assert "ada@example.test" not in page and "1815-12-10" not in page and "555 0101" not in page
    assert world.a.iban in page and world.ticket.number in page
    assert "Compliance cases" not in page and "Audit history" not in page
    assert "Open a ticket" in page and "Request an account freeze" not in page


def test_who_may_open_the_page(world, people, signed_in):
    for user, status in ((people.ops, 200), (people.support, 200), (people.reviewer, 200), (people.officer, 200),
                         (people.admin, 403), (people.finance, 403), (people.nobody, 403)):
        assert signed_in(user).get(page_url(world.ada)).status_code == status, user.username
    assert signed_in(people.ops).get(reverse("staff:customer", args=[999999])).status_code == 404


def test_support_opens_a_ticket_from_the_page(world, people, signed_in):
    support = signed_in(people.support)
    done = act(support, world.ada, "ticket", {"category": "GENERAL", "priority": "high", "subject": "Card blocked",
                                              "description": "Called at 9", "account": world.a.pk})
    assert done.status_code == 302
    ticket = Ticket.objects.get(subject="Card blocked")
    assert ticket.customer == world.ada and ticket.account == world.a and ticket.created_by == people.support
    empty = act(support, world.ada, "ticket", {"category": "GENERAL", "priority": "high", "subject": ""})
    assert empty.status_code == 400 and "errorlist" in empty.content.decode()
    other = act(support, world.ada, "ticket", {"category": "GENERAL", "priority": "normal", "subject": "x",
                                               "account": world.b.pk})  # Bram's account: not this customer's
    assert other.status_code == 400
    refused = act(signed_in(people.reviewer), world.ada, "ticket", {"category": "GENERAL", "priority": "low",
                                                                    "subject": "y"})
    assert refused.status_code == 403


def test_a_freeze_request_goes_through_maker_checker(world, people, signed_in):
    ops = signed_in(people.ops)
    assert "Request an account freeze" in ops.get(page_url(world.ada)).content.decode()
    response = act(ops, world.ada, "freeze", {"account": world.a.pk, "reason": "Suspected fraud"})
    request = ApprovalRequest.objects.get(action_type="account_freeze")
    assert response.status_code == 302 and response["Location"] == reverse("staff:approval", args=[request.pk])
    assert Account.objects.get(pk=world.a.pk).status == "active"  # nothing frozen until a checker approves
    assert request.maker == people.ops and request.target_key == f"account:{world.a.pk}"
    assert f"Request {request.pk}" in ops.get(page_url(world.ada)).content.decode()
    again = act(ops, world.ada, "freeze", {"account": world.a.pk, "reason": "Again"})
    assert again.status_code == 409 and "Refused" in again.content.decode()  # one pending request per target
    missing = act(ops, world.ada, "freeze", {"account": world.a.pk, "reason": ""})
    assert missing.status_code == 400
    support = act(signed_in(people.support), world.ada, "freeze", {"account": world.a.pk, "reason": "x"})
    assert support.status_code == 403


def test_a_reviewer_requests_a_document(world, people, signed_in):
    application = kyc_in_review(world.carol, people)
    reviewer = signed_in(people.reviewer)
    page = reviewer.get(page_url(world.carol)).content.decode()
    assert "Request a document" in page and "passport.pdf" in page
    done = act(reviewer, world.carol, "document", {"document_type": "source_of_funds", "note": "Last 3 months"})
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.status == KycApplication.Status.INFORMATION_REQUESTED
    assert "Source of funds evidence" in application.status_reason
    nothing = act(reviewer, world.carol, "document", {"document_type": "passport"})
    assert nothing.status_code == 400 and "no open KYC application" in nothing.content.decode()
    support = signed_in(people.support).get(page_url(world.carol)).content.decode()
    assert "Request a document" not in support and "passport.pdf" not in support  # no kyc.view_kycdocument
    assert "not shown to you" in support


def test_query_count_is_fixed(world, people, signed_in, django_assert_max_num_queries):
    compliance_case(world, people)
    officer = signed_in(people.officer)
    officer.get(page_url(world.ada))
    with django_assert_max_num_queries(40) as few:
        assert officer.get(page_url(world.ada)).status_code == 200
    before = len(few.captured_queries)
    for n in range(10):
        payments.payment_create(kind="internal_transfer", amount=f"1.{n:02d}", currency="EUR",
                                debtor_account_id=world.a.pk, creditor_account_id=world.b.pk,
                                idempotency_key=f"more-{n}")
    with django_assert_max_num_queries(before) as more:
        assert officer.get(page_url(world.ada)).status_code == 200
    assert len(more.captured_queries) == before
