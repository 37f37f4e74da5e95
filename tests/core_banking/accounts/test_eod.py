"""The accounts' end-of-day step: an active account idle for ``ACCOUNT_DORMANCY_DAYS`` days (no
customer posting, no reactivation) becomes dormant, with a history row and an audit event, once."""

import datetime as dt
import itertools

import pytest

from core_banking.accounts.eod import DORMANCY
from core_banking.accounts.models import Account, AccountStatusChange
from core_banking.audit.models import AuditEvent
from core_banking.ledger.models import JournalEntry, Posting
from core_banking.ledger.services import business_date_open, business_date_roll
from core_banking.payments import services as payments
from tests import banking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

_keys = itertools.count(1)
ALL = (1, 10**12)


def on(date: dt.date) -> None:
    """Make ``date`` the open business date."""
    if business_date_open() < date:
        business_date_roll(to_date=date)


def end_of_day(date: dt.date) -> int:
    """Close ``date`` (as the end of day's cut-off does) and run the step for it over every id."""
    on(date)
    business_date_roll()
    return DORMANCY.run(date, *ALL)


def status(account) -> str:
    return Account.objects.values_list("status", flat=True).get(pk=account.pk)


def cash_deposit(account, amount="50.00"):
    return payments.payment_create(kind="cash_deposit", amount=amount, currency="EUR", creditor_account_id=account.pk,
                                   idempotency_key=f"dep-{next(_keys)}")


@pytest.fixture
def start(bank):
    """The ledger's first business date is over; accounts are opened on the next one."""
    first = business_date_open()
    business_date_roll()
    return first + dt.timedelta(days=1)


@pytest.fixture
def idle(start, account):
    return account


def test_the_step_is_named_for_the_framework():
    assert (DORMANCY.name, DORMANCY.label) == ("accounts.dormancy", "Detect dormant accounts")


def test_an_account_idle_for_365_days_becomes_dormant_not_after_364(bank, idle, start):
    banking.fund(bank, idle, "10.00")  # the bank's own posting: does not count as activity
    assert end_of_day(start + dt.timedelta(days=364)) == 0
    assert status(idle) == "active"

    day = start + dt.timedelta(days=365)
    assert list(DORMANCY.population(day)) == [idle.pk]
    assert end_of_day(day) == 1
    assert status(idle) == "dormant"

    change = AccountStatusChange.objects.filter(account=idle).latest("id")
    assert (change.from_status, change.to_status, change.actor_id) == ("active", "dormant", None)
    assert "365 days" in change.reason and day.isoformat() in change.reason
    event = AuditEvent.objects.get(action="account.dormant")
    assert (event.object_type, event.object_id) == ("accounts.account", str(idle.pk))
    assert (event.before, event.after, event.changes) == ({"status": "active"}, {"status": "dormant"}, ["status"])
    assert Account.objects.get(pk=idle.pk).status_reason == change.reason


def test_a_second_run_changes_nothing(bank, idle, start):
    day = start + dt.timedelta(days=365)
    assert end_of_day(day) == 1
    rows = (AccountStatusChange.objects.count(), AuditEvent.objects.count(), JournalEntry.objects.count(),
            Posting.objects.count())

    assert DORMANCY.run(day, *ALL) == 0
    assert DORMANCY.run(day + dt.timedelta(days=1), *ALL) == 0
    assert (AccountStatusChange.objects.count(), AuditEvent.objects.count(), JournalEntry.objects.count(),
            Posting.objects.count()) == rows
    assert list(DORMANCY.population(day)) == []


def test_a_customer_payment_restarts_the_clock_a_bank_posting_does_not(bank, idle, product, ada, start):
    paid_on = start + dt.timedelta(days=100)
    on(paid_on)
    cash_deposit(idle)  # money in: the customer's payment
    on(paid_on + dt.timedelta(days=200))
    banking.fund(bank, idle, "5.00")  # the bank's posting (no payment): no activity

    assert end_of_day(start + dt.timedelta(days=365)) == 0  # 265 days since the payment
    assert end_of_day(paid_on + dt.timedelta(days=364)) == 0
    assert status(idle) == "active"
    assert end_of_day(paid_on + dt.timedelta(days=365)) == 1
    assert status(idle) == "dormant"


def test_a_payment_out_counts_too(bank, start, product, ada):
    payer, payee = banking.account(ada, product), banking.account(banking.customer(), product)
    cash_deposit(payee)
    banking.fund(bank, payer, "100.00")
    on(start + dt.timedelta(days=10))
    payments.payment_create(kind="internal_transfer", amount="20.00", currency="EUR", debtor_account_id=payer.pk,
                            creditor_account_id=payee.pk, idempotency_key="out")

    assert end_of_day(start + dt.timedelta(days=365)) == 0  # both had a payment 355 days ago
    assert end_of_day(start + dt.timedelta(days=375)) == 2
    assert {status(payer), status(payee)} == {"dormant"}


def test_a_returned_payment_is_not_the_customers_activity(bank, idle, start):
    on(start + dt.timedelta(days=1))
    incoming = payments.payment_create(kind="incoming", amount="30.00", currency="EUR", creditor_account_id=idle.pk,
                                       counterparty_iban="DE89370400440532013000", counterparty_name="Sender",
                                       idempotency_key="in")[0]
    on(start + dt.timedelta(days=300))
    payments.payment_return(payment_id=incoming.pk, reason="sent back")  # the bank sends it back

    assert end_of_day(start + dt.timedelta(days=365)) == 0  # the incoming payment, day 1, still counts
    assert end_of_day(start + dt.timedelta(days=366)) == 1  # the return (day 300) does not


def test_only_active_accounts_become_dormant(bank, start, product, ada):
    frozen, blocked, pending = (banking.account(ada, product), banking.account(ada, product),
                                banking.account(ada, product, activate=False))
    banking.account_transition(account_id=frozen.pk, action="freeze", reason="court order")
    banking.account_transition(account_id=blocked.pk, action="block_debits", reason="fraud check")

    assert end_of_day(start + dt.timedelta(days=400)) == 0
    assert (status(frozen), status(blocked), status(pending)) == ("frozen", "debit_blocked", "pending")


def test_a_reactivated_account_gets_the_full_period_again(bank, idle, start):
    assert end_of_day(start + dt.timedelta(days=365)) == 1
    back_on = start + dt.timedelta(days=400)
    on(back_on)
    banking.account_transition(account_id=idle.pk, action="reactivate", reason="customer came to the branch")

    assert end_of_day(back_on) == 0
    assert end_of_day(back_on + dt.timedelta(days=364)) == 0
    assert status(idle) == "active"
    assert end_of_day(back_on + dt.timedelta(days=365)) == 1


def test_a_chunk_marks_only_its_own_range(bank, start, product, ada):
    first, second = banking.account(ada, product), banking.account(ada, product)
    day = start + dt.timedelta(days=365)
    on(day)
    business_date_roll()

    assert DORMANCY.run(day, second.pk, second.pk) == 1
    assert (status(first), status(second)) == ("active", "dormant")
    assert DORMANCY.run(day, first.pk, first.pk) == 1


def test_the_period_is_a_setting(bank, idle, start, settings):
    settings.ACCOUNT_DORMANCY_DAYS = 30
    assert end_of_day(start + dt.timedelta(days=29)) == 0
    assert end_of_day(start + dt.timedelta(days=30)) == 1


def test_nothing_is_idle_before_the_ledger_is_old_enough(bank, account):
    day = business_date_open()
    business_date_roll()
    assert list(DORMANCY.population(day)) == []
    assert DORMANCY.run(day, *ALL) == 0
    assert status(account) == "active"
