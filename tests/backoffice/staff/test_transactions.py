"""Transaction look-up and a payment's full story (issue 9): each filter, the form errors for bad
filters (400, never 500), who may look, what each role sees in the story, and fixed query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core_banking.payments import services as payments

from .pages_world import COUNTERPARTY, compliance_case

pytestmark = pytest.mark.django_db
URL = reverse("staff:transactions")


def refs(response) -> str:
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def test_each_filter(world, people, signed_in):
    support = signed_in(people.support)
    internal, outgoing = world.internal.reference, world.outgoing.reference
    assert internal in refs(support.get(URL)) and outgoing in refs(support.get(URL))
    page = refs(support.get(URL, {"reference": internal.lower()}))
    assert internal in page and outgoing not in page
    page = refs(support.get(URL, {"iban": COUNTERPARTY}))
    assert outgoing in page and internal not in page
    spaced = " ".join(world.b.iban[i:i + 4] for i in range(0, len(world.b.iban), 4))
    page = refs(support.get(URL, {"iban": spaced}))
    assert internal in page and outgoing not in page
    page = refs(support.get(URL, {"customer": world.bram.number}))
    assert internal in page and outgoing not in page
    page = refs(support.get(URL, {"amount_min": "100", "amount_max": "300"}))
    assert outgoing in page and internal not in page
    day = world.internal.business_date.isoformat()
    page = refs(support.get(URL, {"date_from": day, "date_to": day, "status": "posted"}))
    assert internal in page and outgoing in page
    assert "No payment matches" in refs(support.get(URL, {"status": "rejected"}))


@pytest.mark.parametrize("params, field_error", [
    ({"amount_min": "10", "amount_max": "1"}, "upper amount is below"),
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "end date is before"),
    ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "at most 366 days"),
    ({"date_from": "2026-02-30"}, "Enter a valid date"),
    ({"amount_min": "abc"}, "Enter a number"),
    ({"amount_min": "-5"}, "greater than or equal to 0"),
    ({"iban": "not an iban"}, "not an IBAN"),
    ({"customer": "C99999999"}, "no customer with this number"),
    ({"status": "lost"}, "Select a valid choice"),
])
def test_bad_filters_are_form_errors(world, people, signed_in, params, field_error):
    response = signed_in(people.support).get(URL, params)
    assert response.status_code == 400 and field_error in response.content.decode()


def test_who_may_look(world, people, signed_in):
    for user, status in ((people.support, 200), (people.ops, 200), (people.finance, 200), (people.reviewer, 200),
                         (people.admin, 403), (people.nobody, 403)):
        assert signed_in(user).get(URL).status_code == status, user.username
        story = signed_in(user).get(reverse("staff:payment", args=[world.internal.pk]))
        assert story.status_code == status, user.username
    assert signed_in(people.ops).get(reverse("staff:payment", args=[999999])).status_code == 404


def test_the_story_of_a_payment(world, people, signed_in):
    compliance_case(world, people)
    support = signed_in(people.support)
    page = refs(support.get(reverse("staff:payment", args=[world.outgoing.pk])))
    assert "Status history" in page and "posted" in page and f"Entry #{world.outgoing.entry_id}" in page
    assert "250.00 EUR" in page and "Erika Mustermann" in page
    assert "No screening or monitoring alert" not in page and "large_amount" not in page  # support: no alerts
    assert "Reconciliation" not in page
    officer = refs(signed_in(people.officer).get(reverse("staff:payment", args=[world.outgoing.pk])))
    assert "large_amount" in officer
    ops = refs(signed_in(people.ops).get(reverse("staff:payment", args=[world.internal.pk])))
    assert "Not matched to a bank statement line" in ops and world.ticket.number in ops
    assert world.a.ledger_account.code in ops and world.b.ledger_account.code in ops  # both postings


def test_query_counts_do_not_grow(world, people, signed_in, django_assert_max_num_queries):
    ops = signed_in(people.ops)
    ops.get(URL)
    with django_assert_max_num_queries(12) as few:
        refs(ops.get(URL, {"iban": world.a.iban}))
    for n in range(20):
        payments.payment_create(kind="internal_transfer", amount=f"2.{n:02d}", currency="EUR",
                                debtor_account_id=world.a.pk, creditor_account_id=world.b.pk,
                                idempotency_key=f"tx-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert refs(ops.get(URL, {"iban": world.a.iban})).count("/staff/payments/") >= 22
    with django_assert_max_num_queries(18):
        refs(ops.get(reverse("staff:payment", args=[world.outgoing.pk])))
