"""The interest end-of-day steps end to end on PostgreSQL: accrual from the ledger's end-of-day
balances (set-based), postings, capitalisation, reruns, weekend catch-up, debit interest,
withholding tax, tiers, the minimum balance, and the statement's arithmetic against ``calc``."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_banking.accounts.models import Account, Product
from core_banking.common.money import quantize
from core_banking.interest import accrual, calc, eod, selectors
from core_banking.interest.capitalisation import CapitalisationFailed
from core_banking.interest.daycount import Convention
from core_banking.interest.gl import interest_accounts
from core_banking.interest.models import (
    InterestAccrual,
    InterestCapitalisation,
    InterestRate,
    InterestRateSchedule,
    InterestRateTier,
)
from core_banking.ledger import services as ledger
from core_banking.ledger.models import BusinessDay, JournalEntry
from core_banking.ledger.selectors import account_balance
from tests import banking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
D = dt.date
M = Decimal
ONE_DAY = dt.timedelta(days=1)
FIRST_DAY = D(2024, 1, 31)


def set_business_date(day: dt.date) -> None:
    current = BusinessDay.objects.filter(closed_at__isnull=True).first()
    if current is None:
        BusinessDay.objects.create(date=day, opened_at=timezone.now())
    elif current.date != day:
        ledger.business_date_roll(to_date=day)


@pytest.fixture(autouse=True)
def _business_date(db):
    set_business_date(FIRST_DAY)


@pytest.fixture
def bank():
    return banking.setup_bank(currencies=("EUR",))


def make_schedule(code="SAVINGS-EUR", *, credit="0.025", debit="0.12", tiers=(), **fields) -> InterestRateSchedule:
    schedule = InterestRateSchedule.objects.create(code=code, name=f"Schedule {code}", currency_id="EUR", **fields)
    version = InterestRate.objects.create(schedule=schedule, effective_from=D(2024, 1, 1), credit_rate=M(credit),
                                          debit_rate=M(debit))
    for start, rate in tiers:
        InterestRateTier.objects.create(rate_version=version, from_balance=M(start), rate=M(rate))
    return schedule


def open_account(bank, customer, schedule_code: str, *, product_code: str | None = None, **product_fields) -> Account:
    code = product_code or f"SAV-{schedule_code}"
    product = Product.objects.filter(code=code).first() or banking.product(
        bank, kind="savings", code=code, interest_schedule_code=schedule_code, **product_fields)
    account = banking.account(customer, product)
    # The account exists since the test's first business date (opened_at is when it was created).
    Account.objects.filter(pk=account.pk).update(opened_at=timezone.make_aware(dt.datetime(2024, 1, 31, 9)))
    return Account.objects.get(pk=account.pk)


@pytest.fixture
def ada():
    return banking.customer(first_name="Ada", last_name="Lovelace")


def deposit(bank, account, amount) -> None:
    banking.fund(bank, account, amount)


def withdraw(bank, account, amount) -> None:
    ledger.transfer(debit_account_id=account.ledger_account_id, credit_account_id=bank.cash["EUR"].pk,
                    amount=M(amount), idempotency_key=f"out-{account.pk}-{timezone.now().timestamp()}")


def run_steps(day: dt.date) -> dict[str, int]:
    """Both steps for ``day`` the way the framework runs them: the population, one chunk."""
    done = {}
    for step in (eod.ACCRUE, eod.CAPITALISE):
        ids = list(step.population(day))
        done[step.name] = step.run(day, ids[0], ids[-1]) if ids else 0
    return done


def close(day: dt.date, *, next_day: dt.date | None = None) -> dict[str, int]:
    """Close ``day`` (the open business date) by rolling to ``next_day`` and run its end of day."""
    assert BusinessDay.objects.get(closed_at__isnull=True).date == day
    ledger.business_date_roll(to_date=next_day or day + ONE_DAY)
    return run_steps(day)


def posted(account) -> Decimal:
    return account_balance(account_id=account.ledger_account_id).posted


def gl_balance(purpose: str) -> Decimal:
    return account_balance(account_id=getattr(interest_accounts("EUR"), purpose).pk).posted


def live_february(bank, account, *, weekdays_only=False) -> None:
    """The issue's worked example: 10,000.00 from 1 Feb, 15,000.00 from 15 Feb, 13,000.00 from 25 Feb."""
    set_business_date(D(2024, 2, 1))
    deposit(bank, account, "10000.00")
    live(bank, D(2024, 2, 1), D(2024, 3, 1), {D(2024, 2, 15): lambda: deposit(bank, account, "5000.00"),
                                                D(2024, 2, 26) if weekdays_only else D(2024, 2, 25):
                                                    lambda: withdraw(bank, account, "2000.00")},
         weekdays_only=weekdays_only)


def live(bank, start: dt.date, end: dt.date, events: dict, *, weekdays_only=False) -> None:
    """Business dates from ``start`` (open) to ``end`` (exclusive; left open), events on their day."""
    day = start
    while day < end:
        set_business_date(day)
        if day in events:
            events[day]()
        following = day + ONE_DAY
        while weekdays_only and following.weekday() >= 5:
            following += ONE_DAY
        close(day, next_day=following)
        day = following


# --- the worked example -------------------------------------------------------------------------

def test_the_worked_example_earns_24_32_in_february_not_the_24_27_of_daily_rounding(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)

    live_february(bank, account)

    rows = list(InterestAccrual.objects.filter(account=account).order_by("business_date"))
    assert [r.business_date for r in rows] == calc.month_days(2024, 2)
    assert [r.balance for r in rows] == [M(10000)] * 14 + [M(15000)] * 10 + [M(13000)] * 5
    assert rows[0].amount == M("0.684931506849315068") and rows[0].rate == M("0.025")
    assert rows[-1].cumulative == sum(r.amount for r in rows)
    assert sum(r.posted for r in rows) == M("24.32")
    assert sum(quantize(r.amount, 2) for r in rows) == M("24.27")  # what rounding each day would pay
    capitalisation = InterestCapitalisation.objects.get(account=account)
    assert (capitalisation.period_start, capitalisation.period_end) == (D(2024, 2, 1), D(2024, 2, 29))
    assert (capitalisation.interest, capitalisation.withholding_tax, capitalisation.net) == (M("24.32"), 0,
                                                                                             M("24.32"))
    entry = capitalisation.entry
    assert entry.value_date == D(2024, 2, 29)
    assert entry.idempotency_key == f"interest:capitalise:{account.pk}:2024-02-01"
    assert posted(account) == M("13024.32")
    assert gl_balance("payable") == 0 and gl_balance("expense") == M("24.32")


def test_the_ledger_holds_each_accounts_rounded_running_total_every_day(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    set_business_date(D(2024, 2, 1))
    deposit(bank, account, "10000.00")

    for day in calc.days_of(D(2024, 2, 1), D(2024, 2, 8)):
        close(day)
        last = InterestAccrual.objects.filter(account=account).order_by("-business_date").first()
        assert gl_balance("payable") == quantize(last.cumulative, 2, rounding=ROUND_HALF_UP)


def test_capitalisation_over_several_months_restarts_the_running_total(bank, ada):
    schedule = make_schedule(withholding_tax_rate=M("0.15"))
    account = open_account(bank, ada, schedule.code)
    set_business_date(D(2024, 2, 1))
    deposit(bank, account, "10000.00")

    live(bank, D(2024, 2, 1), D(2024, 5, 1), {})

    caps = list(InterestCapitalisation.objects.filter(account=account).order_by("period_start"))
    assert [(c.period_start, c.period_end) for c in caps] == [
        (D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 3, 1), D(2024, 3, 31)), (D(2024, 4, 1), D(2024, 4, 30))]
    balance = M("10000.00")
    for cap, (start, end) in zip(caps, [(D(2024, 2, 1), D(2024, 3, 1)), (D(2024, 3, 1), D(2024, 4, 1)),
                                        (D(2024, 4, 1), D(2024, 5, 1))], strict=True):
        rows = list(InterestAccrual.objects.filter(account=account, period_start=start).order_by("business_date"))
        assert rows[0].cumulative == rows[0].amount  # restarts at the period start
        assert {r.balance for r in rows} == {balance}
        terms = selectors.schedule_terms(schedule)
        expected = quantize(sum(accrual.day_amount(balance, terms, d, "act_365f", start)
                                for d in calc.days_of(start, end)), 2, rounding=ROUND_HALF_UP)
        tax = quantize(expected * M("0.15"), 2)
        assert (cap.interest, cap.withholding_tax, cap.net) == (expected, tax, expected - tax)
        balance += cap.net
    assert posted(account) == balance
    assert gl_balance("payable") == 0
    assert gl_balance("tax_payable") == sum(c.withholding_tax for c in caps)
    assert gl_balance("expense") == sum(c.interest for c in caps)


# --- reruns ----------------------------------------------------------------------------------------

def test_rerunning_a_chunk_writes_nothing_and_posts_nothing(bank, ada):
    schedule = make_schedule()
    accounts = [open_account(bank, ada, schedule.code) for _ in range(3)]
    set_business_date(D(2024, 2, 1))
    for account in accounts:
        deposit(bank, account, "1000.00")
    ledger.business_date_roll(to_date=D(2024, 2, 2))

    assert eod.accrue(D(2024, 2, 1), accounts[0].pk, accounts[-1].pk) == 3
    entries = JournalEntry.objects.count()
    assert eod.accrue(D(2024, 2, 1), accounts[0].pk, accounts[-1].pk) == 0
    assert JournalEntry.objects.count() == entries
    assert InterestAccrual.objects.count() == 3


def test_a_rerun_that_finds_new_rows_posts_them_under_a_key_of_its_own(bank, ada):
    schedule = make_schedule()
    first = open_account(bank, ada, schedule.code)
    later = open_account(bank, ada, "", product_code="PLAIN")  # earns nothing yet
    set_business_date(D(2024, 2, 1))
    deposit(bank, first, "1000.00")
    deposit(bank, later, "2000.00")
    ledger.business_date_roll(to_date=D(2024, 2, 2))
    assert eod.accrue(D(2024, 2, 1), first.pk, later.pk) == 1

    Product.objects.filter(code="PLAIN").update(interest_schedule_code=schedule.code)
    assert eod.accrue(D(2024, 2, 1), first.pk, later.pk) == 1

    keys = set(JournalEntry.objects.filter(idempotency_key__startswith="interest:accrue:").values_list(
        "idempotency_key", flat=True))
    base = f"interest:accrue:2024-02-01:{first.pk}:EUR:credit"
    assert keys == {base, f"{base}#2"}
    assert gl_balance("payable") == M("0.07") + M("0.14")  # 1000 and 2000 at 2.5 % for a day, each rounded


def test_capitalise_twice_books_once(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    live_february(bank, account)
    entries = JournalEntry.objects.count()

    assert eod.capitalise(D(2024, 2, 29), account.pk, account.pk) == 0
    assert JournalEntry.objects.count() == entries and InterestCapitalisation.objects.count() == 1


# --- calendar ----------------------------------------------------------------------------------------

def test_a_weekend_is_caught_up_by_the_next_end_of_day_at_fridays_balance(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    set_business_date(D(2024, 3, 1))  # a Friday
    deposit(bank, account, "10000.00")
    close(D(2024, 3, 1), next_day=D(2024, 3, 4))
    deposit(bank, account, "5000.00")  # Monday

    done = close(D(2024, 3, 4))

    assert done["interest.accrue"] == 3
    rows = list(InterestAccrual.objects.filter(account=account).order_by("business_date"))
    assert [(r.business_date, r.balance) for r in rows] == [
        (D(2024, 3, 1), 10000), (D(2024, 3, 2), 10000), (D(2024, 3, 3), 10000), (D(2024, 3, 4), 15000)]
    assert rows[-1].cumulative == sum(r.amount for r in rows)


def test_the_worked_example_on_weekdays_only_still_earns_24_32(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)

    live_february(bank, account, weekdays_only=True)  # 25 Feb is a Sunday: the withdrawal is on Monday 26

    rows = InterestAccrual.objects.filter(account=account)
    assert rows.count() == 29
    # Sat 24 and Sun 25 keep Friday's 15,000.00: one more day at 15,000 than the example.
    assert InterestAccrual.objects.get(account=account, business_date=D(2024, 2, 25)).balance == 15000
    expected = quantize(sum(r.amount for r in rows), 2, rounding=ROUND_HALF_UP)
    assert InterestCapitalisation.objects.get(account=account).interest == expected


def test_an_account_accrues_from_the_day_it_was_opened(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    Account.objects.filter(pk=account.pk).update(opened_at=timezone.make_aware(dt.datetime(2024, 2, 3, 12)))
    set_business_date(D(2024, 2, 1))
    close(D(2024, 2, 1), next_day=D(2024, 2, 5))  # the weekend of 3-4 Feb is caught up on 5 Feb
    deposit(bank, account, "100.00")

    close(D(2024, 2, 5))

    assert list(InterestAccrual.objects.filter(account=account).values_list("business_date", flat=True)) == [
        D(2024, 2, 5)]  # 3 and 4 Feb: opened, but a zero balance writes no row


# --- rules ---------------------------------------------------------------------------------------------

def test_a_negative_balance_accrues_at_the_debit_rate_and_is_charged(bank, ada):
    schedule = make_schedule(debit="0.12")
    account = open_account(bank, ada, schedule.code, product_code="OD", overdraft_allowed=True,
                           max_overdraft_limit=M("1000"), default_overdraft_limit=M("1000"))
    set_business_date(D(2024, 2, 1))
    withdraw(bank, account, "500.00")

    live(bank, D(2024, 2, 1), D(2024, 3, 1), {})

    rows = InterestAccrual.objects.filter(account=account)
    assert {r.rate for r in rows} == {M("0.12")} and all(r.amount < 0 and r.posted <= 0 for r in rows)
    cap = InterestCapitalisation.objects.get(account=account)
    assert (cap.interest, cap.withholding_tax, cap.net) == (M("-4.77"), 0, M("-4.77"))  # never taxed
    assert posted(account) == M("-504.77")
    assert gl_balance("receivable") == 0 and gl_balance("income") == M("4.77")


def test_debit_interest_beyond_the_overdraft_limit_is_refused_and_reported(bank, ada):
    schedule = make_schedule(debit="0.12")
    account = open_account(bank, ada, schedule.code, product_code="OD", overdraft_allowed=True,
                           max_overdraft_limit=M("500"), default_overdraft_limit=M("500"))
    other = open_account(bank, ada, schedule.code)
    set_business_date(D(2024, 2, 27))
    withdraw(bank, account, "500.00")
    deposit(bank, other, "1000.00")
    close(D(2024, 2, 27))
    close(D(2024, 2, 28))
    ledger.business_date_roll(to_date=D(2024, 3, 1))
    eod.accrue(D(2024, 2, 29), account.pk, other.pk)

    with pytest.raises(CapitalisationFailed) as refused:
        eod.capitalise(D(2024, 2, 29), account.pk, other.pk)

    assert [f["account"] for f in refused.value.extra["failures"]] == [account.pk]
    assert list(InterestCapitalisation.objects.values_list("account_id", flat=True)) == [other.pk]


def test_a_frozen_account_keeps_accruing_and_receives_its_interest(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    set_business_date(D(2024, 2, 1))
    deposit(bank, account, "10000.00")
    banking.account_transition(account_id=account.pk, action="freeze", reason="court order")

    live(bank, D(2024, 2, 1), D(2024, 3, 1), {})

    assert Account.objects.get(pk=account.pk).status == "frozen"
    assert InterestAccrual.objects.filter(account=account).count() == 29
    assert posted(account) == M("10000.00") + InterestCapitalisation.objects.get(account=account).net


def test_pending_and_closed_accounts_and_other_currencies_earn_nothing(bank, ada):
    schedule = make_schedule()
    earning = open_account(bank, ada, schedule.code)
    pending = open_account(bank, ada, schedule.code)
    Account.objects.filter(pk=pending.pk).update(status="pending")
    usd_bank = banking.setup_bank(currencies=("USD",))
    usd = banking.account(ada, banking.product(usd_bank, kind="savings", currency="USD", code="SAV-USD",
                                               interest_schedule_code=schedule.code))

    assert list(eod.population(D(2024, 2, 1))) == [earning.pk]
    assert usd.pk not in list(eod.population(D(2030, 1, 1)))


def test_tiers_whole_balance_and_marginal_and_the_minimum_balance(bank, ada):
    tiers = [("10000", "0.02"), ("50000", "0.03")]
    whole = make_schedule("WHOLE", credit="0.01", tiers=tiers, minimum_balance=M("100"))
    marginal = make_schedule("MARGINAL", credit="0.01", tiers=tiers, tier_mode="marginal",
                             convention=Convention.THIRTY_360_ISDA.value)
    balances = ["50.00", "9999.99", "20000.00", "60000.00"]
    accounts = [(open_account(bank, ada, s.code), s, b) for s in (whole, marginal) for b in balances]
    set_business_date(D(2024, 2, 1))
    for account, _, balance in accounts:
        deposit(bank, account, balance)

    close(D(2024, 2, 1))

    for account, schedule, balance in accounts:
        row = InterestAccrual.objects.get(account=account)
        terms = selectors.schedule_terms(schedule)
        assert row.amount == accrual.day_amount(M(balance), terms, D(2024, 2, 1), schedule.convention,
                                                D(2024, 2, 1))
    by_balance = {(s.code, b): InterestAccrual.objects.get(account=a) for a, s, b in accounts}
    assert by_balance[("WHOLE", "50.00")].amount == 0  # below the minimum balance: a row, no interest
    assert by_balance[("WHOLE", "20000.00")].rate == M("0.02")
    assert by_balance[("MARGINAL", "60000.00")].rate == M("0.02")  # blended: 1,200 / 60,000
    # marginal 60,000: 10,000 at 1 % + 40,000 at 2 % + 10,000 at 3 % = 1,200 a year; 30/360: 1,200 / 360
    assert by_balance[("MARGINAL", "60000.00")].amount == quantize(M(1200) / 360, 18, rounding=ROUND_HALF_UP)


def test_the_average_daily_balance_basis_is_computed_in_python_with_the_same_bookkeeping(bank, ada):
    schedule = make_schedule("ADB", credit="0.01", tiers=[("10000", "0.02")], accrual_basis="average_daily")
    account = open_account(bank, ada, schedule.code)
    set_business_date(D(2024, 6, 1))
    deposit(bank, account, "5000.00")

    live(bank, D(2024, 6, 1), D(2024, 7, 1), {D(2024, 6, 16): lambda: deposit(bank, account, "10000.00")})

    # February to May (caught up by 1 June's end of day at a zero balance) capitalised nothing.
    assert set(InterestCapitalisation.objects.filter(period_start__lt=D(2024, 6, 1)).values_list(
        "interest", "entry")) == {(0, None)}
    cap = InterestCapitalisation.objects.get(account=account, period_start=D(2024, 6, 1))
    assert cap.interest == M("16.44")  # 10,000 average at 2 % for 30 days
    assert gl_balance("payable") == 0 and posted(account) == M("15016.44")


# --- the statement equals calc -------------------------------------------------------------------------

amounts = st.decimals(min_value=M("-1000000"), max_value=M("100000000"), places=2)
rates = st.decimals(min_value=M("-0.05"), max_value=M("0.2"), places=8)
tier_lists = st.lists(st.tuples(st.decimals(min_value=M("0"), max_value=M("1000000"), places=2), rates),
                      max_size=4, unique_by=lambda t: t[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(balances=st.lists(amounts, min_size=1, max_size=12), credit=rates,
       debit=st.decimals(min_value=M("0"), max_value=M("0.3"), places=8), tiers=tier_lists,
       mode=st.sampled_from(list(calc.TierMode)), convention=st.sampled_from(list(Convention)),
       minimum=st.decimals(min_value=M("0"), max_value=M("20000"), places=2),
       day=st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)), anchored=st.booleans())
def test_the_statement_computes_what_calc_computes(balances, credit, debit, tiers, mode, convention, minimum, day,
                                                   anchored):
    terms = calc.RateSchedule(
        versions=(calc.RateVersion(D(2019, 1, 1), credit, debit,
                                   tiers=tuple(calc.Tier(lo, rate) for lo, rate in tiers)),),
        tier_mode=mode, minimum_balance=minimum)
    period_start = day.replace(day=1) if anchored else calc.period_bounds("quarterly", day)[0]
    balances = [b for b in balances if b != 0] or [M("1.00")]

    got = accrual.price_sql(balances, terms, day, convention.value, period_start)

    version = terms.version_on(day)
    for balance, (amount, rate) in zip(balances, got, strict=True):
        assert amount == accrual.day_amount(balance, terms, day, convention.value, period_start)
        assert abs(rate - accrual.day_rate(balance, version, terms)) <= M("1e-18")


def test_the_set_based_path_and_the_python_twin_write_the_same_rows(bank, ada):
    tiers = [("1000", "0.02"), ("5000", "0.03")]
    sql = make_schedule("SQL", credit="0.01", tiers=tiers, tier_mode="marginal", minimum_balance=M("10"),
                        convention=Convention.THIRTY_E_360.value)
    twin = make_schedule("TWIN", credit="0.01", tiers=tiers, tier_mode="marginal", minimum_balance=M("10"),
                         convention=Convention.THIRTY_E_360.value)
    for schedule in (sql, twin):  # a rate change mid-period
        version = InterestRate.objects.create(schedule=schedule, effective_from=D(2024, 2, 3),
                                              credit_rate=M("0.015"), debit_rate=M("0.09"))
        InterestRateTier.objects.create(rate_version=version, from_balance=M("2000"), rate=M("0.025"))
    amounts = ["5.00", "999.99", "1000.00", "4999.99", "7500.00", "123456.78"]
    overdraft = {"overdraft_allowed": True, "max_overdraft_limit": M("1000"), "default_overdraft_limit": M("1000")}
    sql_accounts = [open_account(bank, ada, "SQL", **overdraft) for _ in amounts + ["-"]]
    twin_accounts = [open_account(bank, ada, "TWIN", **overdraft) for _ in amounts + ["-"]]
    set_business_date(D(2024, 1, 31))
    for group in (sql_accounts, twin_accounts):
        for account, amount in zip(group, amounts, strict=False):
            deposit(bank, account, amount)
        withdraw(bank, group[-1], "250.00")
    live(bank, D(2024, 1, 31), D(2024, 2, 2), {}, weekdays_only=False)  # accrued by the steps (SQL)
    for business_date, next_day in ((D(2024, 2, 2), D(2024, 2, 6)), (D(2024, 2, 6), D(2024, 2, 7))):
        ledger.business_date_roll(to_date=next_day)  # closes business_date; 3-5 Feb are caught up on the 6th
        days = accrual.accrual_days(business_date)
        cutoffs = [accrual.business_date_cutoff(d) for d in days]
        with transaction.atomic():
            accrual.accrue_range(business_date=business_date, first_id=sql_accounts[0].pk,
                                 last_id=sql_accounts[-1].pk)
            accrual._accrue_python(schedule=twin, terms=selectors.schedule_terms(twin), days=days, cutoffs=cutoffs,
                                   first_id=twin_accounts[0].pk, last_id=twin_accounts[-1].pk)

    fields = ("business_date", "balance", "rate", "amount", "cumulative", "posted", "period_start")
    for a, b in zip(sql_accounts, twin_accounts, strict=True):
        left = list(InterestAccrual.objects.filter(account=a).order_by("business_date").values_list(*fields))
        right = list(InterestAccrual.objects.filter(account=b).order_by("business_date").values_list(*fields))
        assert left == right and len(left) == 7


# --- the database refuses ----------------------------------------------------------------------------

def execute(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_a_second_row_a_day_and_a_wrong_net_and_any_update(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    live_february(bank, account)
    row = InterestAccrual.objects.filter(account=account).first()
    cap = InterestCapitalisation.objects.get()

    with pytest.raises(IntegrityError, match="interest_accrual_one_per_day"), transaction.atomic():
        execute("INSERT INTO interest_interestaccrual (account_id, business_date, schedule_id, rate_version_id, "
                "balance, rate, amount, convention, period_start, cumulative, posted, created_at) "
                "VALUES (%s, %s, %s, %s, 1, 0, 0, 'act_365f', %s, 0, 0, now())",
                [account.pk, row.business_date, schedule.pk, row.rate_version_id, row.period_start])
    with pytest.raises(IntegrityError, match="interest_capitalisation_net"), transaction.atomic():
        execute("INSERT INTO interest_interestcapitalisation (account_id, schedule_id, period_start, period_end, "
                "interest, withholding_tax, net, created_at) VALUES (%s, %s, '2024-03-01', '2024-03-31', 10, 1, 10, "
                "now())", [account.pk, schedule.pk])
    with pytest.raises(IntegrityError, match="interest_capitalisation_tax_gte_0"), transaction.atomic():
        execute("INSERT INTO interest_interestcapitalisation (account_id, schedule_id, period_start, period_end, "
                "interest, withholding_tax, net, created_at) VALUES (%s, %s, '2024-03-01', '2024-03-31', 10, -1, 11, "
                "now())", [account.pk, schedule.pk])
    with pytest.raises(IntegrityError, match="interest_capitalisation_one_per_period"), transaction.atomic():
        execute("INSERT INTO interest_interestcapitalisation (account_id, schedule_id, period_start, period_end, "
                "interest, withholding_tax, net, created_at) VALUES (%s, %s, '2024-02-01', '2024-02-29', 0, 0, 0, "
                "now())", [account.pk, schedule.pk])
    for table, pk in (("interest_interestaccrual", row.pk), ("interest_interestcapitalisation", cap.pk)):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            execute(f"UPDATE {table} SET created_at = now() WHERE id = %s", [pk])  # noqa: S608
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608


# --- the selector --------------------------------------------------------------------------------------

def test_accrued_interest_is_the_period_to_date(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    live_february(bank, account)
    live(bank, D(2024, 3, 1), D(2024, 3, 4), {})

    accrued = selectors.accrued_interest(account.pk)

    rows = InterestAccrual.objects.filter(account=account, period_start=D(2024, 3, 1))
    assert (accrued.period_start, accrued.accrued_through, accrued.schedule) == (D(2024, 3, 1), D(2024, 3, 3),
                                                                                 "SAVINGS-EUR")
    assert accrued.accrued == sum(r.amount for r in rows)
    assert accrued.accrued_rounded == quantize(accrued.accrued, 2, rounding=ROUND_HALF_UP)
    assert [c.period_start for c in accrued.capitalisations] == [D(2024, 2, 1)]
