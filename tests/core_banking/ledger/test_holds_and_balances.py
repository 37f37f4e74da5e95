import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import Hold
from core_banking.ledger.selectors import account_balance, account_statement, balance_as_of
from core_banking.ledger.services import (
    business_date_roll,
    hold_create,
    hold_post,
    hold_void,
    holds_expire,
    transfer,
)
from core_banking.ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db(transaction=True)


def fund(bank, amount="100.00", key="fund"):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal(amount),
             idempotency_key=key)


def test_a_hold_reduces_available_not_posted_balance_and_posts_for_less(bank):
    fund(bank)
    hold, replayed = hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk,
                                 amount=Decimal("60.00"), idempotency_key="card-auth")
    assert not replayed
    alice = account_balance(account_id=bank.alice.pk)
    assert (alice.posted, alice.held, alice.available) == (Decimal("100.00"), Decimal("60.00"), Decimal("40.00"))
    assert account_balance(account_id=bank.bob.pk).pending_in == Decimal("60.00")
    # the reserved funds cannot be spent twice
    with pytest.raises(exc.InsufficientFunds):
        transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("40.01"),
                 idempotency_key="spend")

    result = hold_post(hold_id=hold.pk, amount=Decimal("55.25"), idempotency_key="capture")

    alice = account_balance(account_id=bank.alice.pk)
    assert (alice.posted, alice.held, alice.available) == (Decimal("44.75"), Decimal("0.00"), Decimal("44.75"))
    bob = account_balance(account_id=bank.bob.pk)
    assert (bob.posted, bob.pending_in) == (Decimal("55.25"), Decimal("0.00"))
    hold.refresh_from_db()
    assert hold.status == Hold.Status.POSTED and hold.posted_amount == Decimal("55.25")
    assert hold.entry_id == result.entry.pk
    with pytest.raises(exc.HoldNotPending):
        hold_void(hold_id=hold.pk)
    assert verify_ledger().ok


def test_a_hold_cannot_exceed_available_funds_and_changes_nothing_when_refused(bank):
    fund(bank, "10.00")
    with pytest.raises(exc.InsufficientFunds):
        hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("10.01"),
                    idempotency_key="h")
    assert Hold.objects.count() == 0
    assert account_balance(account_id=bank.alice.pk).held == Decimal("0.00")


def test_void_and_expiry_release_the_reservation(bank):
    fund(bank)
    voided, _ = hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk,
                            amount=Decimal("30.00"), idempotency_key="h1")
    expiring, _ = hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk,
                              amount=Decimal("20.00"), idempotency_key="h2",
                              expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert account_balance(account_id=bank.alice.pk).available == Decimal("50.00")

    hold_void(hold_id=voided.pk, reason="merchant cancelled")
    assert holds_expire() == 1

    assert account_balance(account_id=bank.alice.pk).available == Decimal("100.00")
    assert Hold.objects.get(pk=expiring.pk).status == Hold.Status.EXPIRED
    assert Hold.objects.get(pk=voided.pk).status == Hold.Status.VOIDED
    assert holds_expire() == 0
    assert verify_ledger().ok


def test_hold_idempotency(bank):
    fund(bank)
    first, _ = hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk,
                           amount=Decimal("5.00"), idempotency_key="same")
    again, replayed = hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk,
                                  amount=Decimal("5.00"), idempotency_key="same")
    assert replayed and again.pk == first.pk
    assert account_balance(account_id=bank.alice.pk).held == Decimal("5.00")
    with pytest.raises(exc.IdempotencyConflict):
        hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("6.00"),
                    idempotency_key="same")
    posted = hold_post(hold_id=first.pk, idempotency_key="cap")
    assert hold_post(hold_id=first.pk, idempotency_key="cap").entry.pk == posted.entry.pk


def test_point_in_time_balances_by_instant_and_by_business_date(bank):
    fund(bank, "100.00", "d1")
    first_day = business_date_roll().date - dt.timedelta(days=1)
    after_day_one = timezone.now()
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("30.00"),
             idempotency_key="p1")
    second_day = business_date_roll().date - dt.timedelta(days=1)
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("20.00"),
             idempotency_key="p2")

    assert balance_as_of(account_id=bank.alice.pk, business_date=first_day).posted == Decimal("100.00")
    assert balance_as_of(account_id=bank.alice.pk, business_date=second_day).posted == Decimal("70.00")
    assert balance_as_of(account_id=bank.alice.pk, at=after_day_one).posted == Decimal("100.00")
    assert balance_as_of(account_id=bank.alice.pk).posted == Decimal("50.00")
    before_anything = timezone.now() - dt.timedelta(days=3)
    assert balance_as_of(account_id=bank.alice.pk, at=before_anything).posted == Decimal("0.00")
    # a sharded account sums its shards
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.fees.pk, amount=Decimal("1.00"),
             idempotency_key="f1")
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.fees.pk, amount=Decimal("2.00"),
             idempotency_key="f2")
    assert balance_as_of(account_id=bank.fees.pk).posted == Decimal("3.00")
    assert account_balance(account_id=bank.fees.pk).posted == Decimal("3.00")

    statement = account_statement(
        account_id=bank.alice.pk, date_from=second_day, date_to=second_day + dt.timedelta(days=1)
    )
    assert statement.opening_balance == Decimal("100.00")
    assert [(line.debit, line.credit, line.balance) for line in statement.lines] == [
        (Decimal("30.00"), Decimal("0.00"), Decimal("70.00")),
        (Decimal("20.00"), Decimal("0.00"), Decimal("50.00")),
        (Decimal("1.00"), Decimal("0.00"), Decimal("49.00")),
        (Decimal("2.00"), Decimal("0.00"), Decimal("47.00")),
    ]
    assert statement.closing_balance == Decimal("47.00")


def test_the_business_date_only_moves_forward(bank):
    current = business_date_roll().date
    with pytest.raises(exc.InvalidEntry):
        business_date_roll(to_date=current)
