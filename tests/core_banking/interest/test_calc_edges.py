"""Interest arithmetic at its edges: every capitalisation period, small interest under withholding
tax, the bounds of rates and taxes, step balances, an account opened mid-period. Hand-computed."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_UP, Decimal

import pytest

from core_banking.interest import calc
from core_banking.interest.daycount import Convention

D = dt.date
N = Decimal
ISDA, US = Convention.THIRTY_360_ISDA, Convention.THIRTY_360_US


def terms(credit="0.01", debit="0", tiers=(), **options) -> calc.RateSchedule:
    version = calc.RateVersion(D(2020, 1, 1), N(credit), N(debit), tuple(calc.Tier(N(f), N(r)) for f, r in tiers))
    return calc.RateSchedule(versions=(version,), **options)


# --- capitalisation periods ----------------------------------------------------------------------

MONTH_ENDS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_of_the_year_is_its_own_monthly_period(month):
    following = D(2025, 1, 1) if month == 12 else D(2024, month + 1, 1)
    last = D(2024, month, MONTH_ENDS[month])

    for day in (D(2024, month, 1), D(2024, month, 15), last):
        assert calc.period_bounds("monthly", day) == (D(2024, month, 1), following)
    assert calc.is_period_end("monthly", last) is True
    assert calc.is_period_end("monthly", last - dt.timedelta(days=1)) is False


@pytest.mark.parametrize(("months", "start", "end"), [
    ((1, 2, 3), D(2024, 1, 1), D(2024, 4, 1)),
    ((4, 5, 6), D(2024, 4, 1), D(2024, 7, 1)),
    ((7, 8, 9), D(2024, 7, 1), D(2024, 10, 1)),
    ((10, 11, 12), D(2024, 10, 1), D(2025, 1, 1)),
])
def test_every_quarter(months, start, end):
    for month in months:
        assert calc.period_bounds(calc.Frequency.QUARTERLY, D(2024, month, 10)) == (start, end)
    assert calc.is_period_end("quarterly", end - dt.timedelta(days=1)) is True
    assert calc.is_period_end("quarterly", D(2024, months[1], MONTH_ENDS[months[1]])) is False


@pytest.mark.parametrize("day", [D(2023, 1, 1), D(2023, 6, 30), D(2023, 12, 31)])
def test_a_year(day):
    assert calc.period_bounds("annually", day) == (D(2023, 1, 1), D(2024, 1, 1))
    assert calc.is_period_end("annually", day) is (day == D(2023, 12, 31))


def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValueError, match="weekly"):
        calc.period_bounds("weekly", D(2024, 1, 1))


def test_the_days_of_a_month_and_of_a_period():
    assert calc.month_days(2024, 2)[0] == D(2024, 2, 1) and calc.month_days(2024, 2)[-1] == D(2024, 2, 29)
    assert len(calc.month_days(2023, 2)) == 28 and len(calc.month_days(2024, 12)) == 31
    assert calc.days_of(D(2024, 12, 30), D(2025, 1, 2)) == [D(2024, 12, 30), D(2024, 12, 31), D(2025, 1, 1)]
    assert calc.days_of(D(2024, 1, 1), D(2024, 1, 1)) == []


# --- withholding tax on small interest ---------------------------------------------------------


@pytest.mark.parametrize(("accrued", "interest", "tax", "net"), [
    ("1.00", "1.00", "0.25", "0.75"),
    ("0.99", "0.99", "0.25", "0.74"),  # 0.2475 -> 0.25
    ("0.04", "0.04", "0.01", "0.03"),
    ("0.01", "0.01", "0.00", "0.01"),  # 0.0025 -> 0.00
    ("0.004", "0.00", "0.00", "0.00"),  # rounds to nothing: nothing to tax
    ("-1.00", "-1.00", "0.00", "-1.00"),  # debit interest is never taxed
])
def test_withholding_tax_on_interest_of_one_unit_or_less(accrued, interest, tax, net):
    result = calc.capitalise([N(accrued)], 2, withholding_tax_rate=N("0.25"))

    assert (str(result.interest), str(result.withholding_tax), str(result.net)) == (interest, tax, net)
    assert result.accrued == N(accrued)


def test_capitalisation_in_a_currency_without_minor_units():
    result = calc.capitalise([N("0.6"), N("0.9")], 0, withholding_tax_rate=N("0.30"))

    # 1.5 -> 2 (half-even); tax 0.6 -> 1; a zero tax has no decimal places either.
    assert (str(result.interest), str(result.withholding_tax), str(result.net)) == ("2", "1", "1")
    assert str(calc.capitalise([N("-3")], 0, withholding_tax_rate=N("0.30")).withholding_tax) == "0"


def test_a_named_rounding_rule_rounds_interest_and_tax():
    result = calc.capitalise([N("10.001")], 2, withholding_tax_rate=N("0.15"), rounding=ROUND_UP)

    # 10.001 -> 10.01; 10.01 * 15 % = 1.5015 -> 1.51
    assert (result.interest, result.withholding_tax, result.net) == (N("10.01"), N("1.51"), N("8.50"))


# --- bounds of rates, taxes and balances -------------------------------------------------------


def test_credit_and_tier_rates_lie_strictly_between_minus_one_and_one():
    for rate in ("-0.99999999", "0", "0.99999999"):
        assert calc.RateVersion(D(2024, 1, 1), N(rate)).credit_rate == N(rate)
        assert calc.Tier(N("100"), N(rate)).rate == N(rate)
    for rate in ("-1", "1"):
        with pytest.raises(calc.InvalidRate) as caught:
            calc.RateVersion(D(2024, 1, 1), N(rate))
        assert caught.value.detail == f"credit rate {rate} is outside the allowed range (-1, 1)"
        with pytest.raises(calc.InvalidRate) as caught:
            calc.Tier(N("100"), N(rate))
        assert caught.value.detail == f"tier rate {rate} is outside the allowed range (-1, 1)"


def test_a_debit_rate_lies_in_zero_to_one():
    assert calc.RateVersion(D(2024, 1, 1), N("0"), N("0")).debit_rate == 0
    assert calc.RateVersion(D(2024, 1, 1), N("0"), N("0.99999999")).debit_rate == N("0.99999999")
    for rate in ("-0.01", "1"):
        with pytest.raises(calc.InvalidRate) as caught:
            calc.RateVersion(D(2024, 1, 1), N("0"), N(rate))
        assert caught.value.detail == f"debit rate {rate} is outside the allowed range [0, 1)"


def test_a_withholding_tax_rate_lies_in_zero_to_one():
    assert terms(withholding_tax_rate=N("0")).withholding_tax_rate == 0
    assert terms(withholding_tax_rate=N("0.99999999")).withholding_tax_rate == N("0.99999999")
    assert calc.capitalise([N("1.00")], 2, withholding_tax_rate=N("0.99999999")).withholding_tax == N("1.00")
    assert calc.capitalise([N("1.00")], 2, withholding_tax_rate=N("0")).net == N("1.00")
    for rate in ("-0.01", "1"):
        with pytest.raises(calc.InvalidRate) as caught:
            terms(withholding_tax_rate=N(rate))
        assert caught.value.detail == f"withholding tax rate {rate} is outside the allowed range [0, 1)"
        with pytest.raises(calc.InvalidRate) as caught:
            calc.capitalise([N("1.00")], 2, withholding_tax_rate=N(rate))
        assert caught.value.detail == f"withholding tax rate {rate} is outside the allowed range [0, 1)"


def test_the_minimum_balance_and_tier_starts_are_not_negative():
    assert terms(minimum_balance=N("0")).minimum_balance == 0
    with pytest.raises(calc.InvalidRate) as caught:
        terms(minimum_balance=N("-0.01"))
    assert caught.value.detail == "the minimum balance is not negative"
    assert calc.Tier(N("0"), N("0.01")).from_balance == 0
    with pytest.raises(calc.InvalidRate) as caught:
        calc.Tier(N("-0.01"), N("0.01"))
    assert caught.value.detail == "a tier starts at a balance >= 0, not -0.01"


def test_duplicates_are_refused_with_their_reason():
    with pytest.raises(calc.InvalidRate) as caught:
        terms(tiers=[("5", "0.01"), ("5", "0.02")])
    assert caught.value.detail == "two tiers of a version start at the same balance"
    version = calc.RateVersion(D(2024, 1, 1), N("0.01"))
    with pytest.raises(calc.InvalidRate) as caught:
        calc.RateSchedule(versions=(version, calc.RateVersion(D(2024, 1, 1), N("0.02"))))
    assert caught.value.detail == "two versions of a schedule start on the same date"
    assert caught.value.code == "invalid_interest_rate" and caught.value.status == 400


def test_no_rate_in_force_names_the_date():
    schedule = terms()

    with pytest.raises(calc.NoRateInForce) as caught:
        schedule.version_on(D(2019, 12, 31))

    assert caught.value.detail == "no interest rate is in force on 2019-12-31"
    assert caught.value.extra == {"date": "2019-12-31"}
    assert (caught.value.code, caught.value.status) == ("interest_rate_not_in_force", 422)
    assert schedule.version_on(D(2020, 1, 1)).credit_rate == N("0.01")


def test_versions_and_tiers_given_out_of_order_are_sorted():
    late, early = calc.RateVersion(D(2024, 6, 1), N("0.03")), calc.RateVersion(D(2024, 1, 1), N("0.02"))
    schedule = calc.RateSchedule(versions=(late, early))
    version = calc.RateVersion(D(2024, 1, 1), N("0.01"), tiers=(calc.Tier(N("5000"), N("0.03")),
                                                                 calc.Tier(N("1000"), N("0.02"))))

    assert schedule.versions == (early, late)
    assert schedule.version_on(D(2024, 5, 31)) is early and schedule.version_on(D(2024, 6, 1)) is late
    assert version.bands() == [(0, N("1000"), N("0.01")), (N("1000"), N("5000"), N("0.02")),
                               (N("5000"), None, N("0.03"))]


# --- tiers and the minimum balance at their edges --------------------------------------------


def test_whole_balance_and_marginal_interest_at_and_around_each_threshold():
    version = terms("0.01", tiers=[("1000", "0.02"), ("5000", "0.03")]).versions[0]

    def both(balance):
        return (calc.annual_interest(N(balance), version, tier_mode="whole_balance"),
                calc.annual_interest(N(balance), version, tier_mode="marginal"))

    assert both("0.01") == (N("0.0001"), N("0.0001"))
    assert both("999.99") == (N("9.9999"), N("9.9999"))
    assert both("1000") == (N("20"), N("10"))
    assert both("1000.01") == (N("20.0002"), N("10.0002"))
    assert both("5000") == (N("150"), N("90"))  # 10 + 4,000 * 2 %
    assert both("5001") == (N("150.03"), N("90.03"))


def test_a_balance_at_the_minimum_earns_on_the_whole_balance_and_just_below_earns_nothing():
    version = terms("0.02").versions[0]

    assert calc.annual_interest(N("500.00"), version, minimum_balance=N("500")) == N("10")
    assert calc.annual_interest(N("499.99"), version, minimum_balance=N("500")) == 0
    assert calc.annual_interest(N("0"), version) == 0


def test_an_overdraft_pays_the_debit_rate_on_the_whole_negative_balance():
    version = terms("0.02", debit="0.10", tiers=[("1000", "0.05")]).versions[0]

    assert calc.annual_interest(N("-0.01"), version, tier_mode="marginal") == N("-0.001")
    assert calc.annual_interest(N("-2000"), version, minimum_balance=N("5000")) == N("-200")


def test_the_effective_rate_of_marginal_bands_is_their_blend():
    version = terms("0.01", tiers=[("1000", "0.03")]).versions[0]

    assert calc.effective_rate(N("2000"), version, tier_mode="marginal") == N("0.02")
    assert calc.effective_rate(N("2000"), version) == N("0.03")
    assert calc.effective_rate(N("500"), version, minimum_balance=N("1000")) == 0
    assert calc.effective_rate(N("-100"), terms("0.01", debit="0.08").versions[0]) == N("0.08")
    assert calc.effective_rate(N("0"), version) == N("0.01")


# --- step balances ----------------------------------------------------------------------------


def test_step_changes_expand_to_one_row_per_day_each_balance_holding_until_the_next():
    changes = [(D(2024, 3, 4), N("50")), (D(2024, 3, 1), N("100")), (D(2024, 3, 6), N("-20")),
               (D(2024, 3, 2), N("75"))]  # four changes, given out of order

    rows = calc.daily_balances(changes, end=D(2024, 3, 8))

    assert rows == [
        (D(2024, 3, 1), N("100")), (D(2024, 3, 2), N("75")), (D(2024, 3, 3), N("75")), (D(2024, 3, 4), N("50")),
        (D(2024, 3, 5), N("50")), (D(2024, 3, 6), N("-20")), (D(2024, 3, 7), N("-20")),
    ]
    assert calc.daily_balances([], end=D(2024, 3, 8)) == []


def test_the_same_day_twice_is_refused():
    with pytest.raises(ValueError, match="^a day appears twice in the balances$"):
        calc.accrue_period([(D(2024, 3, 1), N("1")), (D(2024, 3, 1), N("2"))], terms(), Convention.ACT_360)


def test_accruals_come_back_in_day_order():
    rows = [(D(2024, 3, 2), N("36000")), (D(2024, 3, 1), N("72000"))]

    accruals = calc.accrue_period(rows, terms("0.01"), Convention.ACT_360)

    assert [calc.capitalise([a], 2).interest for a in accruals] == [N("2.00"), N("1.00")]


def test_no_balances_have_no_average():
    with pytest.raises(ValueError, match="^no balances to average$"):
        calc.average_daily_balance([])


def test_the_average_daily_balance_is_the_mean_of_the_days():
    assert calc.average_daily_balance([N("100"), N("200"), N("600")]) == N("300")
    assert calc.average_daily_balance([N("1"), N("0"), N("0")]) * 3 == 1  # 1/3 to 100 digits, times 3


def test_an_average_increment_is_the_interest_to_date_minus_what_was_accrued():
    rows = [(D(2024, 3, 1), N("36000")), (D(2024, 3, 2), N("108000"))]  # average 72,000: 2.00 a day at 1 %

    step = calc.average_accrual_increment(rows, N("1.00"), terms("0.01"), Convention.ACT_360)

    assert calc.capitalise([step], 2).interest == N("3.00")  # 4.00 to date, 1.00 already accrued


# --- an account opened mid-period ---------------------------------------------------------------


def test_an_account_opened_on_the_31st_accrues_a_30_360_day_from_its_own_start():
    """Opened on 31 January 2024 under 30/360 ISDA: [31 Jan, 1 Feb) is one day (D1 = 31 counts as
    30). Anchored at the 1st of the month the 31st would accrue nothing."""
    opened = D(2024, 1, 31)
    rows = [(opened, N("36000.00"))]  # 1 % a year: 1.00 a 30/360 day
    schedule = terms("0.01")

    with_start = calc.accrue_period(rows, schedule, ISDA, period_start=opened)
    average = calc.accrue_average(rows, schedule, ISDA, period_start=opened)
    step = calc.average_accrual_increment(rows, N("0"), schedule, ISDA, period_start=opened)

    assert calc.capitalise(with_start, 2).interest == N("1.00")
    assert calc.capitalise([average], 2).interest == N("1.00")
    assert calc.capitalise([step], 2).interest == N("1.00")
    assert calc.capitalise([calc.accrue_daily(N("36000.00"), schedule, opened, ISDA, period_start=opened)],
                           2).interest == N("1.00")
    assert calc.accrue_period(rows, schedule, ISDA) == [0]  # the default anchor: the 1st


def test_an_account_opened_on_29_february_accrues_one_30_360_us_day_not_two():
    opened = D(2024, 2, 29)
    rows = [(opened, N("36000.00"))]

    assert calc.capitalise(calc.accrue_period(rows, terms("0.01"), US, period_start=opened), 2).interest == N("1.00")
    assert calc.capitalise(calc.accrue_period(rows, terms("0.01"), US), 2).interest == N("2.00")


# --- the values the database and the API see ------------------------------------------------------


def test_the_stored_codes_of_modes_bases_and_frequencies():
    assert [m.value for m in calc.TierMode] == ["whole_balance", "marginal"]
    assert [b.value for b in calc.AccrualBasis] == ["end_of_day", "average_daily"]
    assert [f.value for f in calc.Frequency] == ["monthly", "quarterly", "annually"]


def test_the_errors_keep_their_codes_and_titles():
    invalid, missing = calc.InvalidRate("x"), calc.NoRateInForce("y")

    assert (invalid.code, invalid.status, invalid.title) == (
        "invalid_interest_rate", 400, "The interest rate definition is not valid")
    assert (missing.code, missing.status, missing.title) == (
        "interest_rate_not_in_force", 422, "No interest rate is in force on that date")


def test_rates_schedules_and_results_are_immutable_values():
    import dataclasses

    tier = calc.Tier(N("100"), N("0.01"))
    version = calc.RateVersion(D(2024, 1, 1), N("0.01"), tiers=(tier,))
    schedule = calc.RateSchedule(versions=(version,))
    result = calc.capitalise([N("1")], 2)

    for value, name in ((tier, "rate"), (version, "credit_rate"), (schedule, "minimum_balance"),
                        (result, "interest")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, N("0"))
    assert version == calc.RateVersion(D(2024, 1, 1), N("0.01"), tiers=(calc.Tier(N("100"), N("0.01")),))
    assert len({version, calc.RateVersion(D(2024, 1, 1), N("0.01"), tiers=(tier,))}) == 1


def test_one_unit_of_balance_earns_its_rate():
    version = terms("0.01", tiers=[("1000", "0.02")]).versions[0]

    assert calc.annual_interest(N("1"), version) == N("0.01")
    assert calc.annual_interest(N("1"), version, tier_mode="marginal") == N("0.01")
    assert calc.effective_rate(N("1"), version) == N("0.01")


def test_a_first_tier_from_one_unit_leaves_band_0_below_it_at_the_credit_rate():
    version = terms("0.01", tiers=[("1", "0.05")]).versions[0]

    assert version.bands() == [(0, N("1"), N("0.01")), (N("1"), None, N("0.05"))]
    assert calc.annual_interest(N("0.50"), version) == N("0.005")
    assert calc.annual_interest(N("3"), version, tier_mode="marginal") == N("0.11")  # 0.01 + 2 * 0.05


def test_a_schedule_shows_what_it_was_given_not_its_index():
    schedule = terms()

    assert repr(schedule).startswith("RateSchedule(versions=(RateVersion(effective_from=datetime.date(2020, 1, 1)")
    assert "_starts" not in repr(schedule)
    with pytest.raises(TypeError):
        calc.RateSchedule(versions=schedule.versions, _starts=())
