"""The ledger's end-of-day step: pending holds expired by the close of the business date are
expired, once, chunk by chunk; the periodic task's ``holds_expire`` keeps working."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core_banking.audit.models import AuditEvent
from core_banking.ledger.eod import EXPIRE_HOLDS
from core_banking.ledger.models import Hold, JournalEntry, Posting
from core_banking.ledger.selectors import account_balance, business_date_cutoff
from core_banking.ledger.services import business_date_open, business_date_roll, hold_create, hold_void, transfer
from core_banking.ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db

D = Decimal


def hold(bank, key, amount="10.00", expires_at=None):
    created, _ = hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=D(amount),
                             idempotency_key=key, expires_at=expires_at)
    return created


@pytest.fixture
def day(bank):
    """Alice has 100.00 on business date ``day``, holds of 10.00 each: one expired before the
    close, one expiring after it, one without expiry, one expired but voided already."""
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=D("100.00"),
             idempotency_key="fund")
    today = business_date_open()
    now = timezone.now()
    bank.expired = hold(bank, "expired", expires_at=now - dt.timedelta(seconds=1))
    bank.later = hold(bank, "later", expires_at=now + dt.timedelta(hours=1))
    bank.open_ended = hold(bank, "open-ended")
    bank.voided = hold(bank, "voided", expires_at=now - dt.timedelta(seconds=1))
    hold_void(hold_id=bank.voided.pk, reason="merchant cancelled")
    business_date_roll()  # the end of day closes ``today``
    return today


def snapshot():
    return (JournalEntry.objects.count(), Posting.objects.count(),
            sorted(Hold.objects.values_list("id", "status")), AuditEvent.objects.count())


def test_the_step_is_named_for_the_framework():
    assert (EXPIRE_HOLDS.name, EXPIRE_HOLDS.label) == ("ledger.expire_holds", "Expire holds")


def test_holds_expired_by_the_close_are_expired_once(bank, day):
    assert list(EXPIRE_HOLDS.population(day)) == [bank.expired.pk]
    assert account_balance(account_id=bank.alice.pk).available == D("70.00")
    entries = JournalEntry.objects.count()

    assert EXPIRE_HOLDS.run(day, bank.expired.pk, bank.open_ended.pk) == 1

    statuses = dict(Hold.objects.values_list("id", "status"))
    assert statuses == {bank.expired.pk: "expired", bank.later.pk: "pending", bank.open_ended.pk: "pending",
                        bank.voided.pk: "voided"}
    alice = account_balance(account_id=bank.alice.pk)
    assert (alice.posted, alice.held, alice.available) == (D("100.00"), D("20.00"), D("80.00"))
    assert account_balance(account_id=bank.bob.pk).pending_in == D("20.00")
    assert JournalEntry.objects.count() == entries  # an expiry writes no entry
    event = AuditEvent.objects.get(action="ledger.hold_expired")
    assert event.object_id == str(bank.expired.pk) and day.isoformat() in event.reason

    before = snapshot()
    assert EXPIRE_HOLDS.run(day, bank.expired.pk, bank.open_ended.pk) == 0
    assert snapshot() == before
    assert list(EXPIRE_HOLDS.population(day)) == []
    assert verify_ledger().ok


def test_a_chunk_expires_only_its_own_range(bank, day):
    assert EXPIRE_HOLDS.run(day, bank.expired.pk + 1, bank.voided.pk) == 0
    assert Hold.objects.get(pk=bank.expired.pk).status == "pending"
    assert EXPIRE_HOLDS.run(day, bank.expired.pk, bank.expired.pk) == 1


def test_a_hold_expiring_after_the_close_waits_for_a_later_end_of_day(bank, day):
    cutoff = business_date_cutoff(day)
    assert bank.later.expires_at > cutoff
    assert bank.later.pk not in EXPIRE_HOLDS.population(day)

    tomorrow = business_date_open()
    Hold.objects.filter(pk=bank.later.pk).update(expires_at=timezone.now())  # due before the next close
    business_date_roll()
    assert list(EXPIRE_HOLDS.population(tomorrow)) == [bank.expired.pk, bank.later.pk]
    assert EXPIRE_HOLDS.run(tomorrow, bank.expired.pk, bank.later.pk) == 2


def test_an_open_business_date_has_nothing_to_expire(bank, day):
    still_open = business_date_open()
    assert list(EXPIRE_HOLDS.population(still_open)) == []
    assert EXPIRE_HOLDS.run(still_open, 1, 10**9) == 0
    assert Hold.objects.get(pk=bank.expired.pk).status == "pending"


def test_a_hold_posted_or_voided_between_population_and_run_is_skipped(bank, day):
    population = list(EXPIRE_HOLDS.population(day))
    hold_void(hold_id=bank.expired.pk, reason="captured elsewhere")

    assert EXPIRE_HOLDS.run(day, population[0], population[-1]) == 0
    assert Hold.objects.get(pk=bank.expired.pk).status == "voided"
