"""Interest configuration and accrual rows in PostgreSQL: constraints (proven around the ORM with
raw SQL), the rate in force, and the set-based accrual writer the end of day calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core_banking.interest import calc, selectors, services
from core_banking.interest.models import InterestAccrual, InterestRate, InterestRateSchedule, InterestRateTier
from tests import banking

pytestmark = pytest.mark.django_db
D = dt.date


def execute(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def make_schedule(code="SAVINGS-EUR", **fields) -> InterestRateSchedule:
    return InterestRateSchedule.objects.create(code=code, name="Savings EUR", currency_id="EUR", **fields)


@pytest.fixture
def savings_schedule():
    schedule = make_schedule()
    InterestRate.objects.create(schedule=schedule, effective_from=D(2024, 1, 1), credit_rate=Decimal("0.025"),
                                debit_rate=Decimal("0.12"))
    return schedule


@pytest.fixture
def accounts():
    bank = banking.setup_bank(currencies=("EUR",))
    product = banking.product(bank, kind="savings", code="SAV-EUR")
    ada = banking.customer(first_name="Ada", last_name="Lovelace")
    return bank, [banking.account(ada, product) for _ in range(3)]


FEBRUARY = calc.daily_balances([(D(2024, 2, 1), Decimal("10000.00")), (D(2024, 2, 15), Decimal("15000.00")),
                                (D(2024, 2, 25), Decimal("13000.00"))], end=D(2024, 3, 1))


# --- constraints -------------------------------------------------------------------------------

def test_rate_bounds_are_check_constraints_around_the_orm(savings_schedule):
    version = InterestRate.objects.get(schedule=savings_schedule)

    with pytest.raises(IntegrityError, match="interest_rate_credit_bounds"), transaction.atomic():
        execute("UPDATE interest_interestrate SET credit_rate = 1 WHERE id = %s", [version.pk])
    with pytest.raises(IntegrityError, match="interest_rate_credit_bounds"), transaction.atomic():
        execute("UPDATE interest_interestrate SET credit_rate = -1 WHERE id = %s", [version.pk])
    with pytest.raises(IntegrityError, match="interest_rate_debit_bounds"), transaction.atomic():
        execute("UPDATE interest_interestrate SET debit_rate = -0.01 WHERE id = %s", [version.pk])
    # A negative credit rate above -100 % is allowed (negative-rate deposits).
    execute("UPDATE interest_interestrate SET credit_rate = -0.005 WHERE id = %s", [version.pk])
    assert InterestRate.objects.get(pk=version.pk).credit_rate == Decimal("-0.005")


def test_tier_and_schedule_constraints_hold_around_the_orm(savings_schedule):
    version = InterestRate.objects.get(schedule=savings_schedule)
    tier = InterestRateTier.objects.create(rate_version=version, from_balance=Decimal("10000"), rate=Decimal("0.03"))

    with pytest.raises(IntegrityError, match="interest_tier_from_gte_0"), transaction.atomic():
        execute("UPDATE interest_interestratetier SET from_balance = -1 WHERE id = %s", [tier.pk])
    with pytest.raises(IntegrityError, match="interest_tier_rate_bounds"), transaction.atomic():
        execute("UPDATE interest_interestratetier SET rate = 1.5 WHERE id = %s", [tier.pk])
    with pytest.raises(IntegrityError, match="interest_tier_one_per_start"), transaction.atomic():
        execute("INSERT INTO interest_interestratetier (rate_version_id, from_balance, rate) VALUES (%s, 10000, 0.01)",
                [version.pk])
    with pytest.raises(IntegrityError, match="interest_rate_one_per_date"), transaction.atomic():
        execute("INSERT INTO interest_interestrate (schedule_id, effective_from, credit_rate, debit_rate, note, "
                "created_at) VALUES (%s, '2024-01-01', 0.01, 0, '', now())", [savings_schedule.pk])
    for column, value, name in [("withholding_tax_rate", 1, "interest_schedule_withholding_0_1"),
                                ("minimum_balance", -1, "interest_schedule_minimum_gte_0"),
                                ("convention", "act_366", "interest_schedule_convention_valid"),
                                ("tier_mode", "progressive", "interest_schedule_tier_mode_valid"),
                                ("capitalisation_frequency", "weekly", "interest_schedule_frequency_valid")]:
        with pytest.raises(IntegrityError, match=name), transaction.atomic():
            execute(f"UPDATE interest_interestrateschedule SET {column} = %s WHERE id = %s",
                    [value, savings_schedule.pk])


def test_one_accrual_per_account_and_day_around_the_orm(savings_schedule, accounts):
    _, (account, *_) = accounts
    services.record_accruals(schedule=savings_schedule, business_date=D(2024, 2, 1),
                             balances={account.pk: Decimal("100.00")})
    row = InterestAccrual.objects.get()

    with pytest.raises(IntegrityError, match="interest_accrual_one_per_day"), transaction.atomic():
        execute("INSERT INTO interest_interestaccrual (account_id, business_date, schedule_id, rate_version_id, "
                "balance, rate, amount, convention, period_start, cumulative, posted, created_at) VALUES "
                "(%s, '2024-02-01', %s, %s, 0, 0, 0, 'act_365f', '2024-02-01', 0, 0, now())",
                [account.pk, savings_schedule.pk, row.rate_version_id])
    with pytest.raises(IntegrityError, match="interest_accrual_convention_valid"), transaction.atomic():
        execute("INSERT INTO interest_interestaccrual (account_id, business_date, schedule_id, rate_version_id, "
                "balance, rate, amount, convention, period_start, cumulative, posted, created_at) VALUES "
                "(%s, '2024-02-02', %s, %s, 0, 0, 0, 'act_366', '2024-02-01', 0, 0, now())",
                [account.pk, savings_schedule.pk, row.rate_version_id])
    with pytest.raises(IntegrityError, match="interest_accrual_in_its_period"), transaction.atomic():
        execute("INSERT INTO interest_interestaccrual (account_id, business_date, schedule_id, rate_version_id, "
                "balance, rate, amount, convention, period_start, cumulative, posted, created_at) VALUES "
                "(%s, '2024-02-02', %s, %s, 0, 0, 0, 'act_365f', '2024-02-03', 0, 0, now())",
                [account.pk, savings_schedule.pk, row.rate_version_id])


# --- the rate in force -------------------------------------------------------------------------

def test_rate_for_returns_the_version_in_force_with_its_tiers(savings_schedule):
    later = InterestRate.objects.create(schedule=savings_schedule, effective_from=D(2024, 3, 16),
                                        credit_rate=Decimal("0.02"))
    InterestRateTier.objects.create(rate_version=later, from_balance=Decimal("50000"), rate=Decimal("0.03"))
    InterestRateTier.objects.create(rate_version=later, from_balance=Decimal("10000"), rate=Decimal("0.025"))

    assert selectors.rate_for(savings_schedule, D(2024, 3, 15)).credit_rate == Decimal("0.025")
    current = selectors.rate_for(savings_schedule, D(2024, 3, 16))
    assert current == later and [t.from_balance for t in current.tiers.all()] == [10000, 50000]
    assert selectors.rate_for(savings_schedule.pk, D(2030, 1, 1)) == later
    with pytest.raises(calc.NoRateInForce):
        selectors.rate_for(savings_schedule, D(2023, 12, 31))

    terms = selectors.schedule_terms(savings_schedule)
    assert [v.effective_from for v in terms.versions] == [D(2024, 1, 1), D(2024, 3, 16)]
    assert terms.version_on(D(2024, 4, 1)).tiers == (calc.Tier(Decimal("10000"), Decimal("0.025")),
                                                     calc.Tier(Decimal("50000"), Decimal("0.03")))


# --- accrual rows --------------------------------------------------------------------------------

def test_a_month_of_end_of_day_rows_capitalises_to_the_worked_example(savings_schedule, accounts):
    _, (ada, overdrawn, _) = accounts
    for day, balance in FEBRUARY:
        services.record_accruals(schedule=savings_schedule, business_date=day,
                                 balances={ada.pk: balance, overdrawn.pk: Decimal("-500.00")})

    assert InterestAccrual.objects.filter(account=ada).count() == 29
    first = InterestAccrual.objects.get(account=ada, business_date=D(2024, 2, 1))
    assert first.rate == Decimal("0.025") and first.convention == "act_365f" and first.balance == 10000
    assert first.amount == Decimal("0.684931506849315068")  # 250 / 365, kept to 18 places
    result = services.period_capitalisation(account_id=ada.pk, schedule=savings_schedule, start=D(2024, 2, 1),
                                            end=D(2024, 3, 1), exponent=2)
    assert result.interest == Decimal("24.32")
    # -500.00 * 12 % * 29 / 365 = -4.767...
    debit = services.period_capitalisation(account_id=overdrawn.pk, schedule=savings_schedule,
                                           start=D(2024, 2, 1), end=D(2024, 3, 1), exponent=2)
    assert debit.interest == Decimal("-4.77") and debit.withholding_tax == 0


def test_rerunning_a_day_writes_nothing_twice(savings_schedule, accounts):
    _, (ada, *_) = accounts
    for _ in range(2):
        services.record_accruals(schedule=savings_schedule, business_date=D(2024, 2, 1),
                                 balances={ada.pk: Decimal("10000.00")})
    services.record_accruals(schedule=savings_schedule, business_date=D(2024, 2, 1),
                             balances={ada.pk: Decimal("99999.00")})  # a late, different rerun changes nothing

    assert list(InterestAccrual.objects.values_list("balance", flat=True)) == [Decimal("10000")]


def test_average_daily_balance_rows_accrue_the_average_to_date_and_end_at_the_period_interest(accounts):
    _, (ada, *_) = accounts
    schedule = make_schedule("ADB-EUR", accrual_basis="average_daily", withholding_tax_rate=Decimal("0.15"))
    version = InterestRate.objects.create(schedule=schedule, effective_from=D(2024, 1, 1), credit_rate=Decimal("0.01"))
    InterestRateTier.objects.create(rate_version=version, from_balance=Decimal("10000"), rate=Decimal("0.02"))
    june = calc.daily_balances([(D(2024, 6, 1), Decimal("5000")), (D(2024, 6, 16), Decimal("15000"))],
                               end=D(2024, 7, 1))
    for day, balance in june:
        services.record_accruals(schedule=schedule, business_date=day, balances={ada.pk: balance})

    last = InterestAccrual.objects.get(account=ada, business_date=D(2024, 6, 30))
    assert last.balance == 15000 and last.rate == Decimal("0.02")  # the average, 10,000, is in the 2 % band
    result = services.period_capitalisation(account_id=ada.pk, schedule=schedule, start=D(2024, 6, 1),
                                            end=D(2024, 7, 1), exponent=2)
    # 10,000 at 2 % for 30 days = 16.44; 15 % withheld = 2.466 -> 2.47.
    assert (result.interest, result.withholding_tax, result.net) == (Decimal("16.44"), Decimal("2.47"),
                                                                     Decimal("13.97"))


def test_an_inactive_schedule_accrues_nothing(savings_schedule, accounts):
    _, (ada, *_) = accounts
    savings_schedule.is_active = False
    savings_schedule.save()

    assert services.record_accruals(schedule=savings_schedule, business_date=D(2024, 2, 1),
                                    balances={ada.pk: Decimal("10000")}) == 0
    assert not InterestAccrual.objects.exists()


def test_end_of_day_balances_reads_a_chunk_of_accounts_in_one_query(accounts, django_assert_max_num_queries):
    bank, (ada, bob, empty) = accounts
    banking.fund(bank, ada, "1000.00")
    banking.fund(bank, ada, "250.50")
    banking.fund(bank, bob, "42.00")
    from core_banking.ledger.services import business_date_open

    today = business_date_open()
    with django_assert_max_num_queries(3):  # the business-date cutoff (two look-ups at most), the balances
        balances = selectors.end_of_day_balances([ada.pk, bob.pk, empty.pk], today)

    assert balances == {ada.pk: Decimal("1250.50"), bob.pk: Decimal("42.00"), empty.pk: Decimal("0")}
