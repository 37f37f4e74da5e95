"""Schedule arithmetic: worked examples and properties (pure, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_banking.interest.daycount import Convention
from core_banking.loans import schedule as sched

D = Decimal
JAN_15 = dt.date(2025, 1, 15)
FEB_15 = dt.date(2025, 2, 15)


def annuity(principal="10000.00", rate="0.12", count=12, convention="30_360_isda", exponent=2, **kw):
    return sched.generate(principal=D(principal), rate=D(rate), start=kw.pop("start", JAN_15),
                          first_due=kw.pop("first_due", FEB_15), count=count, frequency=kw.pop("frequency", "monthly"),
                          convention=convention, method=kw.pop("method", "annuity"), exponent=exponent, **kw)


def test_ten_thousand_at_twelve_percent_over_twelve_months_is_888_49_a_month_under_30_360():
    lines = annuity()

    assert [line.instalment for line in lines[:11]] == [D("888.49")] * 11
    assert lines[-1].instalment == D("888.47")  # the last instalment absorbs the rounding
    assert (lines[0].interest, lines[0].principal) == (D("100.00"), D("788.49"))
    assert (lines[1].opening_balance, lines[1].interest, lines[1].principal) == (D("9211.51"), D("92.12"),
                                                                                 D("796.37"))
    assert (lines[-1].opening_balance, lines[-1].interest, lines[-1].principal) == (D("879.67"), D("8.80"),
                                                                                    D("879.67"))
    assert sum(line.principal for line in lines) == D("10000.00")
    assert sum(line.interest for line in lines) == D("661.86")
    assert [line.due_date for line in lines[:3]] == [FEB_15, dt.date(2025, 3, 15), dt.date(2025, 4, 15)]


def test_equal_principal_repays_the_same_principal_and_falling_interest():
    lines = annuity(principal="12000.00", method="equal_principal")

    assert [line.principal for line in lines] == [D("1000.00")] * 12
    assert [line.interest for line in lines[:3]] == [D("120.00"), D("110.00"), D("100.00")]
    assert [line.instalment for line in lines[:3]] == [D("1120.00"), D("1110.00"), D("1100.00")]
    assert lines[-1].interest == D("10.00")
    assert sum(line.interest for line in lines) == D("780.00")


def test_equal_principal_rounds_down_and_the_last_part_takes_the_rest():
    lines = annuity(principal="1000.00", count=3, method="equal_principal")

    assert [line.principal for line in lines] == [D("333.33"), D("333.33"), D("333.34")]


def test_interest_follows_the_day_count_convention_of_each_period():
    act = annuity(convention=Convention.ACT_365F)
    act360 = annuity(convention=Convention.ACT_360)

    # 15 January to 15 February is 31 actual days: 10,000 * 0.12 * 31/365 and 31/360.
    assert act[0].interest == D("101.92")
    assert act360[0].interest == D("103.33")
    # February has 28 days: 9,2xx * 0.12 * 28/365 is less than a 30/360 month would give.
    assert act[1].interest < annuity()[1].interest
    assert sum(line.principal for line in act) == D("10000.00")


def test_a_zero_rate_annuity_repays_equal_parts_of_principal():
    lines = annuity(principal="1000.00", rate="0", count=3)

    assert [line.principal for line in lines] == [D("333.33"), D("333.33"), D("333.34")]
    assert all(line.interest == 0 for line in lines)


def test_due_dates_keep_the_day_of_month_or_take_the_last_day_of_a_shorter_month():
    monthly = sched.due_dates(dt.date(2024, 1, 31), 4, "monthly")
    quarterly = sched.due_dates(dt.date(2025, 1, 31), 3, "quarterly")

    assert monthly == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 4, 30)]
    assert quarterly == [dt.date(2025, 1, 31), dt.date(2025, 4, 30), dt.date(2025, 7, 31)]


def test_a_short_first_period_earns_less_interest():
    lines = annuity(start=dt.date(2025, 2, 1))  # 14 days of 30/360 to 15 February

    assert lines[0].interest == D("46.67")  # 10,000 * 0.12 * 14/360
    assert sum(line.principal for line in lines) == D("10000.00")


def test_an_instalment_fee_is_added_to_every_instalment():
    lines = annuity(fee=D("2.50"))

    assert all(line.fee == D("2.50") for line in lines)
    assert lines[0].instalment == D("890.99")


def test_yen_and_dinar_schedules_fit_their_exponents():
    yen = annuity(principal="1000000", exponent=0)
    dinar = annuity(principal="1000.000", exponent=3)

    assert yen[0].instalment == D("88849") and sum(line.principal for line in yen) == D("1000000")
    assert dinar[0].instalment == D("88.849") and sum(line.principal for line in dinar) == D("1000.000")


def test_a_partial_prepayment_keeps_the_term_and_lowers_the_instalment():
    lines = annuity()
    remaining = [(line.period_start, line.due_date) for line in lines[3:]]  # instalments 4 .. 12
    day = lines[3].period_start + dt.timedelta(days=10)  # 25 April, 10 days into period 4

    new = sched.reschedule_after_prepayment(balance_before=lines[3].opening_balance, prepaid=D("2000.00"),
                                            rate=D("0.12"), day=day, remaining=remaining,
                                            convention="30_360_isda", method="annuity", exponent=2, first_number=4)

    assert [line.number for line in new] == list(range(4, 13))
    assert [line.due_date for line in new] == [line.due_date for line in lines[3:]]
    assert sum(line.principal for line in new) == lines[3].opening_balance - D("2000.00")
    assert new[1].instalment < lines[4].instalment
    assert len({line.instalment for line in new[1:-1]}) == 1
    # The first carries what the 2,000.00 earned for its 10 days, rounded once with the rest:
    # 5,610.80 * 0.12 * 30/360 + 2,000 * 0.12 * 10/360 = 56.108 + 6.6667 = 62.7747.
    assert new[0].interest == D("62.77")
    assert new[0].instalment - new[1].instalment == D("6.66")  # 62.77 instead of 56.11 on the balance


def test_a_prepayment_must_be_less_than_the_balance_and_inside_the_running_period():
    with pytest.raises(ValueError, match="less than the principal"):
        sched.reschedule_after_prepayment(balance_before=D("100"), prepaid=D("100"), rate=D("0.1"), day=JAN_15,
                                          remaining=[(JAN_15, FEB_15)], convention="act_365f", method="annuity",
                                          exponent=2)
    with pytest.raises(ValueError, match="running period"):
        sched.reschedule_after_prepayment(balance_before=D("100"), prepaid=D("10"), rate=D("0.1"), day=FEB_15,
                                          remaining=[(JAN_15, FEB_15)], convention="act_365f", method="annuity",
                                          exponent=2)


def test_interest_to_date_is_the_running_periods_interest_up_to_the_day():
    assert sched.interest_to_date(D("10000"), D("0.12"), JAN_15, dt.date(2025, 1, 25), "30_360_isda", 2) == D("33.33")
    assert sched.interest_to_date(D("10000"), D("0.12"), JAN_15, JAN_15, "30_360_isda", 2) == D("0.00")


@pytest.mark.parametrize(("days", "bucket"), [
    (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"),
    (91, "90+"), (400, "90+"),
])
def test_delinquency_buckets(days, bucket):
    assert sched.bucket_for(days, [30, 60, 90]) == bucket


def test_bucket_labels_and_boundary_and_order_validation():
    assert sched.bucket_labels([30, 60, 90]) == ["current", "1-30", "31-60", "61-90", "90+"]
    for bad in ([], [0], [30, 30], [60, 30], [1.5]):
        with pytest.raises(ValueError):
            sched.check_bucket_boundaries(bad)
    for bad in (["fees", "fees", "interest", "principal"], ["fees", "interest", "principal"],
                ["fees", "penalties", "interest", "principal", "other"]):
        with pytest.raises(ValueError):
            sched.check_allocation_order(bad)
    assert sched.check_allocation_order(["principal", "interest", "penalties", "fees"])[0] == "principal"


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    exponent=st.sampled_from([0, 2, 3]),
    units=st.integers(min_value=1, max_value=10**12),
    rate=st.decimals(min_value=0, max_value=D("0.35"), places=4),
    count=st.integers(min_value=1, max_value=120),
    method=st.sampled_from(list(sched.Method)),
    convention=st.sampled_from(list(Convention)),
    start_offset=st.integers(min_value=1, max_value=60),
    frequency=st.sampled_from(list(sched.RepaymentFrequency)),
)
def test_principal_parts_sum_exactly_to_the_principal(exponent, units, rate, count, method, convention, start_offset,
                                                      frequency):
    principal = D(units).scaleb(-exponent)
    first_due = dt.date(2025, 3, 31)
    lines = sched.generate(principal=principal, rate=rate, start=first_due - dt.timedelta(days=start_offset),
                           first_due=first_due, count=count, frequency=frequency, convention=convention,
                           method=method, exponent=exponent)

    assert len(lines) == count
    assert sum(line.principal for line in lines) == principal
    assert lines[-1].closing_balance == 0
    unit = D(1).scaleb(-exponent)
    for line in lines:
        assert line.principal >= 0 and line.interest >= 0
        assert line.principal % unit == 0 and line.interest % unit == 0
    assert all(a.due_date < b.due_date and a.due_date == b.period_start for a, b in zip(lines, lines[1:], strict=False))


@settings(max_examples=150, deadline=None)
@given(
    exponent=st.sampled_from([0, 2, 3]),
    units=st.integers(min_value=100, max_value=10**10),
    rate=st.decimals(min_value=D("0.001"), max_value=D("0.30"), places=4),
    count=st.integers(min_value=2, max_value=60),
    method=st.sampled_from(list(sched.Method)),
    share=st.integers(min_value=1, max_value=99),
    into=st.integers(min_value=0, max_value=29),
)
def test_a_recalculated_schedule_still_repays_exactly_what_is_left(exponent, units, rate, count, method, share, into):
    principal = D(units).scaleb(-exponent)
    lines = sched.generate(principal=principal, rate=rate, start=JAN_15, first_due=FEB_15, count=count,
                           frequency="monthly", convention="30_360_isda", method=method, exponent=exponent)
    current = lines[len(lines) // 2]
    prepaid = (current.opening_balance * share / 100).quantize(D(1).scaleb(-exponent), rounding="ROUND_DOWN")
    if not 0 < prepaid < current.opening_balance:
        return
    new = sched.reschedule_after_prepayment(
        balance_before=current.opening_balance, prepaid=prepaid, rate=rate,
        day=current.period_start + dt.timedelta(days=min(into, (current.due_date - current.period_start).days - 1)),
        remaining=[(line.period_start, line.due_date) for line in lines[current.number - 1:]],
        convention="30_360_isda", method=method, exponent=exponent, first_number=current.number)

    assert sum(line.principal for line in new) == current.opening_balance - prepaid
    assert all(line.principal >= 0 and line.interest >= 0 for line in new)
