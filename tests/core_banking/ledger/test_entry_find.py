"""``journal_entry_find`` by amount (issue 9, the staff search box): an entry is found by the
absolute amount of any of its postings, debit or credit, once, newest first, limited; another
amount finds nothing. (The plan of the look-up, on ``ledger_posting_amount``, is checked in
``tests/backoffice/staff/test_search.py``.)"""

from decimal import Decimal

import pytest

from core_banking.ledger.selectors import journal_entry_find
from core_banking.ledger.services import Leg, entry_post, transfer

pytestmark = pytest.mark.django_db


def ids(entries):
    return [e.pk for e in entries]


def test_an_entry_is_found_by_a_debit_or_a_credit_amount(bank):
    split = entry_post(postings=[Leg(bank.cash.pk, Decimal("100.00")), Leg(bank.alice.pk, Decimal("-60.00")),
                                 Leg(bank.bob.pk, Decimal("-40.00"))], idempotency_key="split").entry_id
    other = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.bob.pk, amount=Decimal("7.25"),
                     idempotency_key="other").entry_id
    assert ids(journal_entry_find(amount=Decimal("100.00"))) == [split]  # the debit leg
    assert ids(journal_entry_find(amount=Decimal("60"))) == [split]  # a credit leg, any scale
    assert ids(journal_entry_find(amount=Decimal("40.00"))) == [split]
    assert ids(journal_entry_find(amount=Decimal("-40.00"))) == [split]  # the sign does not matter
    assert ids(journal_entry_find(amount=Decimal("7.25"))) == [other]  # debit and credit leg: found once
    for amount in ("160.00", "20.00", "7.24", "0"):
        assert journal_entry_find(amount=Decimal(amount)) == [], amount
    assert journal_entry_find() == []
    # With its postings, in one prefetch.
    found = journal_entry_find(amount=Decimal("60.00"))[0]
    assert sorted(p.amount for p in found.postings.all()) == [Decimal("-60"), Decimal("-40"), Decimal("100")]


def test_criteria_combine_with_or_newest_first_and_limited(bank):
    first, second, third = (
        transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("5.00"),
                 idempotency_key=f"five-{n}", external_ref=f"REF-{n}").entry_id
        for n in range(3))
    marked = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.bob.pk, amount=Decimal("9.00"),
                      idempotency_key="nine", external_ref="NINE").entry_id
    assert ids(journal_entry_find(amount=Decimal("5"))) == [third, second, first]
    assert ids(journal_entry_find(amount=Decimal("5"), limit=2)) == [third, second]
    assert ids(journal_entry_find(amount=Decimal("5"), external_ref="NINE")) == [marked, third, second, first]
    assert ids(journal_entry_find(amount=Decimal("9"), entry_id=first)) == [marked, first]
