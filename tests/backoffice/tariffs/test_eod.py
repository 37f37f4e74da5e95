"""The periodic fees' end-of-day step: every month that has ended on or before the business
date and is not decided yet is priced once per account, recorded, and posted (fee income), or
recorded unpaid and retried; a second run changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.tariffs import exceptions as exc
from backoffice.tariffs.eod import PERIODIC_FEES, fee_key, last_ended_month, month_end, next_month
from backoffice.tariffs.models import FeeUsage, PeriodicFeeCharge
from core_banking.ledger.models import JournalEntry, Posting
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import business_date_open, business_date_roll
from tests import banking

from .conftest import account_on, plan, rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

D = Decimal
ALL = (1, 10**12)


def on(date: dt.date) -> None:
    """Make ``date`` the open business date."""
    if business_date_open() < date:
        business_date_roll(to_date=date)


def end_of_day(date: dt.date) -> int:
    """Close ``date`` (as the end of day's cut-off does) and run the step for it over every id."""
    on(date)
    business_date_roll()
    return PERIODIC_FEES.run(date, *ALL)


def balance(account) -> Decimal:
    return account_balance(account_id=account.ledger_account_id).posted


def fees(account):
    return list(PeriodicFeeCharge.objects.filter(account=account).order_by("period_start")
                .values_list("period_start", "status", "amount"))


def snapshot():
    return (JournalEntry.objects.count(), Posting.objects.count(),
            sorted(PeriodicFeeCharge.objects.values_list("id", "status", "amount", "entry_id", "charged_on",
                                                         "updated_at")),
            sorted(FeeUsage.objects.values_list("id", "count")))


@pytest.fixture
def today(bank):
    """The ledger's first business date; accounts opened in the tests become active on it."""
    return business_date_open()


@pytest.fixture
def standard(bank):
    return plan("STANDARD", rule("monthly_maintenance", fixed_amount=D("4.50"), description="Account fee"))


@pytest.fixture
def month_1(today):
    """The first day of the month the accounts are opened in."""
    return today.replace(day=1)


def test_the_step_is_named_for_the_framework():
    assert (PERIODIC_FEES.name, PERIODIC_FEES.label) == ("fees.periodic", "Charge periodic fees")


def test_month_arithmetic():
    assert month_end(dt.date(2028, 2, 10)) == dt.date(2028, 2, 29)
    assert next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert last_ended_month(dt.date(2027, 1, 31)) == dt.date(2027, 1, 1)
    assert last_ended_month(dt.date(2027, 1, 30)) == dt.date(2026, 12, 1)
    assert last_ended_month(dt.date(2027, 2, 1)) == dt.date(2027, 1, 1)


def test_the_month_is_charged_on_its_last_day_once(bank, today, standard, month_1):
    a = account_on(bank)
    banking.fund(bank, a, "20.00")
    income = account_balance(account_id=bank.fees["EUR"].pk).posted
    last_day = month_end(today)
    if last_day > today:
        assert end_of_day(last_day - dt.timedelta(days=1)) == 0  # the month has not ended yet
        assert fees(a) == []
        assert a.pk not in PERIODIC_FEES.population(last_day - dt.timedelta(days=1))

    assert end_of_day(last_day) == 1

    assert fees(a) == [(month_1, "charged", D("4.50"))]
    assert balance(a) == D("15.50")
    assert account_balance(account_id=bank.fees["EUR"].pk).posted == income + D("4.50")
    fee = PeriodicFeeCharge.objects.get(account=a)
    assert (fee.business_date, fee.charged_on, fee.code) == (last_day, last_day, "STANDARD/monthly_maintenance")
    assert fee.details["plan"] == "STANDARD" and fee.details["event"] == "monthly_maintenance"
    entry = fee.entry
    assert entry.idempotency_key == fee_key(a.pk, month_1) == f"fee:monthly_maintenance:{a.pk}:{month_1:%Y-%m}"
    assert entry.value_date == last_day and entry.business_date == last_day + dt.timedelta(days=1)
    assert entry.metadata["fee"]["period"] == f"{month_1:%Y-%m}" and "payment" not in entry.metadata
    assert entry.description == f"Account fee {month_1:%Y-%m}"

    before = snapshot()
    assert PERIODIC_FEES.run(last_day, *ALL) == 0  # the same chunk again
    assert list(PERIODIC_FEES.population(last_day)) == []
    assert end_of_day(last_day + dt.timedelta(days=1)) == 0  # and the next end of day
    assert snapshot() == before


def test_months_ended_without_an_end_of_day_are_caught_up_each_at_its_own_price(bank, today, standard, month_1):
    a = account_on(bank)
    banking.fund(bank, a, "100.00")
    month_2, month_3 = next_month(month_1), next_month(next_month(month_1))
    d = month_end(month_3) + dt.timedelta(days=2)  # the end of days of three month-ends were missed

    assert end_of_day(d) == 3

    assert fees(a) == [(month_1, "charged", D("4.50")), (month_2, "charged", D("4.50")),
                       (month_3, "charged", D("4.50"))]
    assert balance(a) == D("86.50")
    entries = JournalEntry.objects.filter(idempotency_key__startswith=f"fee:monthly_maintenance:{a.pk}:")
    assert sorted(entries.values_list("value_date", flat=True)) == [d, d, d]
    assert end_of_day(d + dt.timedelta(days=1)) == 0


def test_months_before_the_plans_first_version_are_free(bank, today, month_1):
    starts = next_month(next_month(month_1))
    plan("LATER", rule("monthly_maintenance", fixed_amount=D("3.00")), effective_from=starts)
    a = account_on(bank, "LATER")
    banking.fund(bank, a, "10.00")

    assert end_of_day(month_end(starts)) == 1

    assert fees(a) == [(month_1, "free", D(0)), (next_month(month_1), "free", D(0)), (starts, "charged", D("3.00"))]
    assert balance(a) == D("7.00")


def test_a_fee_the_account_cannot_pay_is_recorded_unpaid_and_collected_later(bank, today, standard, month_1):
    a = account_on(bank)
    banking.fund(bank, a, "1.00")
    last_day = month_end(today)

    assert end_of_day(last_day) == 0

    assert fees(a) == [(month_1, "unpaid", D("4.50"))]
    assert balance(a) == D("1.00")
    assert not JournalEntry.objects.filter(idempotency_key=fee_key(a.pk, month_1)).exists()
    assert list(PERIODIC_FEES.population(last_day)) == [a.pk]  # retried by every later end of day
    before = snapshot()
    assert PERIODIC_FEES.run(last_day, *ALL) == 0
    assert snapshot() == before  # still unpaid: nothing changes

    banking.fund(bank, a, "10.00")
    later = last_day + dt.timedelta(days=3)
    assert end_of_day(later) == 1

    fee = PeriodicFeeCharge.objects.get(account=a)
    assert (fee.status, fee.business_date, fee.charged_on) == ("charged", last_day, later)
    assert fee.entry.value_date == later and fee.entry.idempotency_key == fee_key(a.pk, month_1)
    assert balance(a) == D("6.50")
    assert end_of_day(later + dt.timedelta(days=1)) == 0


def test_an_overdraft_pays_the_fee(bank, today, standard):
    product = banking.product(bank, tariff_plan_code="STANDARD", overdraft_allowed=True,
                              max_overdraft_limit=D("100.00"), default_overdraft_limit=D("50.00"))
    a = banking.account(banking.customer(), product)

    assert end_of_day(month_end(today)) == 1
    assert balance(a) == D("-4.50")


def test_which_accounts_pay(bank, today, standard, month_1):
    customer = banking.customer()
    accounts = {name: account_on(bank, customer=customer)
                for name in ("active", "dormant", "debit_blocked", "credit_blocked", "frozen", "closed")}
    pending = banking.account(customer, banking.product(bank, tariff_plan_code="STANDARD"), activate=False)
    free = banking.account(customer, banking.product(bank))  # the product names no plan
    for name, account in accounts.items():
        if name != "closed":
            banking.fund(bank, account, "10.00")
    for name, action in (("dormant", "mark_dormant"), ("debit_blocked", "block_debits"),
                         ("credit_blocked", "block_credits"), ("frozen", "freeze")):
        banking.account_transition(account_id=accounts[name].pk, action=action, reason="test")
    banking.account_close(account_id=accounts["closed"].pk, reason="test")
    last_day = month_end(today)

    population = set(PERIODIC_FEES.population(last_day + dt.timedelta(days=1)))
    assert end_of_day(last_day) == 4

    paying = {accounts[n].pk for n in ("active", "dormant", "debit_blocked", "credit_blocked")}
    assert population == paying
    assert set(PeriodicFeeCharge.objects.values_list("account_id", flat=True)) == paying
    assert PeriodicFeeCharge.objects.filter(account__in=[pending, free, accounts["frozen"]]).count() == 0

    # A frozen account's months are charged once it is unfrozen, each at its month's price.
    banking.account_transition(account_id=accounts["frozen"].pk, action="unfreeze", reason="cleared")
    next_end = month_end(next_month(month_1))
    assert end_of_day(next_end) == 4 + 2
    assert fees(accounts["frozen"]) == [(month_1, "charged", D("4.50")), (next_month(month_1), "charged", D("4.50"))]


def test_a_customer_override_brings_an_account_under_a_plan(bank, today, standard, month_1):
    from backoffice.tariffs import services

    customer = banking.customer()
    a = banking.account(customer, banking.product(bank))  # no plan on the product
    banking.fund(bank, a, "10.00")
    services.customer_tariff_assign(customer_id=customer.pk, plan_code="STANDARD", valid_from=month_1)

    assert end_of_day(month_end(today)) == 1
    assert fees(a) == [(month_1, "charged", D("4.50"))]


def test_an_account_that_cannot_be_priced_fails_alone_and_is_retried(bank, today, standard, month_1):
    plan("DOLLAR", rule("monthly_maintenance", currency="USD", fixed_amount=D("5.00")))
    ok, broken = account_on(bank), account_on(bank, "DOLLAR")  # EUR account, USD fee: no EUR/USD rate
    banking.fund(bank, ok, "10.00")
    banking.fund(bank, broken, "10.00")
    last_day = month_end(today)
    on(last_day)
    business_date_roll()

    with pytest.raises(exc.PeriodicFeesFailed) as failed:
        PERIODIC_FEES.run(last_day, *ALL)

    assert failed.value.extra["posted"] == 1
    assert [f["account"] for f in failed.value.extra["failures"]] == [broken.pk]
    assert fees(ok) == [(month_1, "charged", D("4.50"))] and fees(broken) == []
    assert not FeeUsage.objects.filter(account=broken).exists()

    banking.rate("USD", "EUR", "0.90")
    assert PERIODIC_FEES.run(last_day, *ALL) == 1
    assert fees(broken) == [(month_1, "charged", D("4.50"))]  # 5.00 USD at 0.90
    assert balance(ok) == D("5.50")


def test_a_chunk_charges_only_its_own_range(bank, today, standard):
    first, second = account_on(bank), account_on(bank)
    for a in (first, second):
        banking.fund(bank, a, "10.00")
    last_day = month_end(today)
    on(last_day)
    business_date_roll()

    assert PERIODIC_FEES.run(last_day, second.pk, second.pk) == 1
    assert (len(fees(first)), len(fees(second))) == (0, 1)
    assert PERIODIC_FEES.run(last_day, first.pk, first.pk) == 1
