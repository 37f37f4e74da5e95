"""A single entry whose accounts and business day this process has read before is locked and
written in one round trip (``engine._write_one_taken_for_granted``); what it took for granted is
checked by the write itself, after the locks, and when it no longer holds nothing is written and
the usual path reads and decides."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core_banking.common.idempotency import IdempotencyConflict
from core_banking.ledger import engine
from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import JournalEntry, LedgerAccount
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import business_date_open, business_date_roll, transfer
from core_banking.ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(bank):
    engine.forget_known()
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("100.00"),
             idempotency_key="fund-alice")
    return bank


def _round_trips(action) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        result = action()
    # (a test runs in a transaction: the service's own transaction is a savepoint there)
    return result, len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def _posted(account) -> Decimal:
    return account_balance(account_id=account.pk).posted


def _pay(bank, amount, key):
    return transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal(amount),
                    idempotency_key=key)


def test_known_accounts_and_day_take_one_round_trip_and_write_what_the_usual_path_writes(funded):
    _, first = _round_trips(lambda: _pay(funded, "1.00", "p1"))  # reads bob for the first time
    result, known = _round_trips(lambda: _pay(funded, "2.50", "p2"))
    assert (first, known) == (2, 1)
    entry = JournalEntry.objects.get(pk=result.entry_id)
    assert entry.business_date == business_date_open() and not result.replayed
    assert sorted(p.amount for p in entry.postings.all()) == [Decimal("-2.50"), Decimal("2.50")]
    assert _posted(funded.alice) == Decimal("96.50") and _posted(funded.bob) == Decimal("3.50")
    assert verify_ledger().ok  # chain link, content digest and balances as the usual path leaves them


def test_an_account_deactivated_since_it_was_read_is_refused_and_nothing_is_written(funded):
    _pay(funded, "1.00", "p1")
    LedgerAccount.objects.filter(pk=funded.bob.pk).update(is_active=False)  # behind the process's back
    entries = JournalEntry.objects.count()
    with pytest.raises(exc.AccountNotPostable):
        _pay(funded, "1.00", "p2")
    assert JournalEntry.objects.count() == entries and _posted(funded.alice) == Decimal("99.00")


def test_a_business_day_rolled_since_it_was_read_is_read_again(funded):
    _pay(funded, "1.00", "p1")
    rolled = business_date_roll(to_date=business_date_open() + dt.timedelta(days=1))
    result, trips = _round_trips(lambda: _pay(funded, "1.00", "p2"))
    assert trips == 3  # the checked write found another day and wrote nothing; then the usual read and write
    assert JournalEntry.objects.get(pk=result.entry_id).business_date == rolled.date
    _, trips = _round_trips(lambda: _pay(funded, "1.00", "p3"))
    assert trips == 1
    assert verify_ledger().ok


def test_a_replay_returns_the_original_and_another_request_under_the_key_is_refused(funded):
    original = _pay(funded, "5.00", "p1")
    replay, trips = _round_trips(lambda: _pay(funded, "5.00", "p1"))
    assert replay.replayed and replay.entry_id == original.entry_id and trips == 2
    with pytest.raises(IdempotencyConflict):
        _pay(funded, "6.00", "p1")
    assert _posted(funded.alice) == Decimal("95.00")


def test_insufficient_funds_are_refused_by_the_checked_write_with_nothing_written(funded):
    _pay(funded, "1.00", "p1")
    entries = JournalEntry.objects.count()
    with pytest.raises(exc.InsufficientFunds):
        _pay(funded, "500.00", "p2")
    assert JournalEntry.objects.count() == entries and _posted(funded.alice) == Decimal("99.00")
    assert verify_ledger().ok
