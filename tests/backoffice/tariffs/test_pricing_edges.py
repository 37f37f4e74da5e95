"""Fee pricing at its edges, worked by hand: payments in another currency on volume tiers, slices
of a unit or less, fees exactly at the minimum or maximum, the whole breakdown, and what the
policy logs when it charges nothing."""

import datetime as dt
import logging
from decimal import Decimal

import pytest

from backoffice.tariffs import services
from backoffice.tariffs.models import FeeUsage
from backoffice.tariffs.policy import TARIFFS, fees_for, periodic_fee_for
from core_banking.payments.seams import PaymentIntent
from tests import banking

from .conftest import MARCH_10, account_on, outgoing, plan, rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

D = Decimal
# Band 0 (the rule): 1 % and 1.00 fixed; from 1,000 a month: 0.5 % and 0.50 fixed.
TIERED = {"fixed_amount": D("1.00"), "percentage": D("0.01"),
          "tiers": [{"from_volume": D("1000"), "percentage": D("0.005"), "fixed_amount": D("0.50")}]}


def fee(intent, *, preview=False):
    charges = TARIFFS.fees_for(intent, preview=preview)
    assert len(charges) <= 1
    return charges[0] if charges else None


def month_usage(account, start=dt.date(2026, 3, 1)):
    row = FeeUsage.objects.get(account=account, period="month", period_start=start)
    return row.count, row.volume


# --- another currency on volume tiers --------------------------------------------------------


def test_a_payment_in_another_currency_counts_its_converted_amount_towards_the_tiers(bank):
    plan("STANDARD", rule(**TIERED))
    banking.rate("USD", "EUR", "0.923456")
    a = account_on(bank)  # EUR

    # 50.00 USD = 46.1728 EUR: 1.00 + 0.461728 = 1.461728 -> 1.46. The month's volume (in the
    # account's currency) counts 46.17: converted and rounded once, half-even.
    first = fee(outgoing(a, "50.00", currency="USD"))
    assert first.amount == D("1.46")
    assert first.details["amount_rate"] == {"from": "USD", "to": "EUR", "mid_rate": "0.923456"}
    assert month_usage(a) == (1, D("46.17"))

    # 1,000.00 EUR next: the slice [46.17, 1,046.17): 953.83 at 1 % + 46.17 at 0.5 %
    # = 9.5383 + 0.23085 = 9.76915, plus the 1,000 band's 0.50: 10.26915 -> 10.27.
    second = fee(outgoing(a, "1000.00"))
    assert second.amount == D("10.27")
    assert second.details["tiers"]["volume_before"] == "46.17"
    assert second.details["tiers"]["volume_after"] == "1046.17"
    assert month_usage(a) == (2, D("1046.17"))


def test_a_volume_in_the_accounts_currency_is_converted_into_the_fee_currency_for_the_tiers(bank):
    plan("STANDARD", rule(**TIERED))
    banking.rate("USD", "EUR", "0.80")  # and EUR -> USD is its inverse, 1.25
    a = account_on(bank, currency="USD")

    # 1,000.00 USD = 800 EUR, all in band 0: 1.00 + 8.00 = 9.00 EUR = 11.25 USD.
    assert fee(outgoing(a, "1000.00")).amount == D("11.25")
    assert month_usage(a) == (1, D("1000.00"))  # in USD, the account's currency

    # 500.00 USD = 400 EUR on top of 1,000 USD = 800 EUR: [800, 1,200) is 200 at 1 % + 200 at
    # 0.5 % = 3.00, plus 0.50 fixed = 3.50 EUR = 4.375 USD -> 4.38 (half-even).
    second = fee(outgoing(a, "500.00"))
    assert second.amount == D("4.38")
    assert second.details["volume_rate"] == {"from": "USD", "to": "EUR", "mid_rate": "0.8"}
    assert second.details["conversion_rate"] == {"from": "EUR", "to": "USD", "mid_rate": "1.25"}
    assert (second.details["tiers"]["volume_before"], second.details["tiers"]["volume_after"]) == ("800", "1200")


# --- slices of one unit or less ----------------------------------------------------------------


def test_a_payment_of_one_unit_is_charged_its_percentage(bank):
    plan("STANDARD", rule(**TIERED))
    a = account_on(bank)

    charge = fee(outgoing(a, "1.00"))  # 1.00 + 1 % of 1.00

    assert charge.amount == D("1.01")
    assert charge.details["tiers"]["bands"] == [{"from_volume": "0", "percentage": "0.01", "portion": "1",
                                                 "part": "0.01"}]


def test_a_payment_of_one_unit_split_across_a_band_boundary(bank):
    plan("STANDARD", rule(**TIERED))
    a = account_on(bank)
    # 999.50: 1.00 + 9.995 = 10.995 -> 11.00 (half-even)
    assert fee(outgoing(a, "999.50")).amount == D("11.00")

    charge = fee(outgoing(a, "1.00"))

    # [999.50, 1,000.50): 0.50 at 1 % + 0.50 at 0.5 % = 0.0075, plus the 1,000 band's 0.50 -> 0.51
    assert charge.amount == D("0.51")
    assert [(b["from_volume"], b["portion"], b["part"]) for b in charge.details["tiers"]["bands"]] == [
        ("0", "0.5", "0.005"), ("1000", "0.5", "0.0025")]
    assert charge.details["tiers"]["fixed_band_from"] == "1000"


def test_a_payment_that_stops_just_short_of_a_band_keeps_the_lower_bands_fixed_amount(bank):
    plan("STANDARD", rule(**TIERED))
    a = account_on(bank)

    charge = fee(outgoing(a, "999.99"))  # 1.00 + 9.9999 = 10.9999 -> 11.00

    assert charge.amount == D("11.00") and charge.details["tiers"]["fixed_band_from"] == "0"
    assert len(charge.details["tiers"]["bands"]) == 1


def test_three_bands_in_one_payment(bank):
    plan("STANDARD", rule(fixed_amount=D("2.00"), percentage=D("0.01"), tiers=[
        {"from_volume": D("100"), "percentage": D("0.005"), "fixed_amount": D("1.00")},
        {"from_volume": D("200"), "percentage": D("0.001"), "fixed_amount": D("0")},
    ]))
    a = account_on(bank)

    charge = fee(outgoing(a, "250.00"))

    # 100 at 1 % + 100 at 0.5 % + 50 at 0.1 % = 1.00 + 0.50 + 0.05; fixed of the 200 band: 0
    assert charge.amount == D("1.55")
    assert [b["portion"] for b in charge.details["tiers"]["bands"]] == ["100", "100", "50"]
    assert charge.details["fixed"] == "0" and charge.details["percentage_part"] == "1.55"


# --- minimum and maximum exactly -------------------------------------------------------------


def test_a_fee_exactly_at_the_minimum_or_the_maximum_is_not_raised_or_capped(bank):
    plan("STANDARD", rule(percentage=D("0.01"), min_fee=D("1.00"), max_fee=D("5.00")))
    a = account_on(bank)

    at_min = fee(outgoing(a, "100.00"))
    at_max = fee(outgoing(a, "500.00"))
    over = fee(outgoing(a, "500.01"))

    assert at_min.amount == D("1.00") and at_min.details["min_applied"] is False
    assert at_max.amount == D("5.00") and at_max.details["max_applied"] is False
    assert over.amount == D("5.00") and over.details["max_applied"] is True
    assert over.details["subtotal"] == "5.0001" and over.details["max_fee"] == "5"


def test_without_a_maximum_a_large_fee_is_not_capped(bank):
    plan("STANDARD", rule(percentage=D("0.5")))
    a = account_on(bank)

    charge = fee(outgoing(a, "10000.00"))

    assert charge.amount == D("5000.00") and charge.details["max_fee"] is None
    assert charge.details["max_applied"] is False and charge.details["min_fee"] == "0"


def test_a_fee_that_rounds_to_zero_is_no_charge(bank):
    plan("STANDARD", rule(percentage=D("0.001")))
    a = account_on(bank)

    assert fees_for(outgoing(a, "4.99")) == []  # 0.00499 -> 0.00
    assert fee(outgoing(a, "5.01")).amount == D("0.01")  # 0.00501 -> 0.01


# --- the breakdown -----------------------------------------------------------------------------


def test_the_whole_breakdown_of_a_charge_after_its_free_allowance(bank):
    standard = plan("STANDARD", rule(fixed_amount=D("0.25"), percentage=D("0"), free_allowance_count=1,
                                     allowance_period="day"))
    a = account_on(bank)
    assert fee(outgoing(a, "10.00")) is None  # the free one

    charge = fee(outgoing(a, "10.00", channel="mobile"))

    version = standard.versions.get()
    assert charge.description == "Outgoing payment fee"  # the rule has none: the event's label
    assert charge.details == {
        "plan": "STANDARD", "plan_source": "product", "customer_tariff_id": None, "version_id": version.pk,
        "version_effective_from": "2026-01-01", "rule_id": version.rules.get().pk, "event": "outgoing_payment",
        "channel": "any", "fee_currency": "EUR", "preview": False,
        "allowance": {"free_count": 1, "period": "day", "used": 2, "free": False},
        "amount_in_fee_currency": "10", "percentage": "0", "fixed": "0.25", "percentage_part": "0",
        "subtotal": "0.25", "min_fee": "0", "max_fee": None, "min_applied": False, "max_applied": False,
        "fee_in_fee_currency": "0.25", "amount": "0.25",
    }


def test_a_daily_allowance_and_monthly_tiers_keep_separate_counters(bank):
    plan("STANDARD", rule(free_allowance_count=1, allowance_period="day", **TIERED))
    a = account_on(bank)
    assert fee(outgoing(a, "600.00", date=dt.date(2026, 3, 9))) is None  # free: first of 9 March
    assert fee(outgoing(a, "100.00", date=dt.date(2026, 3, 10))) is None  # free: first of 10 March

    # Third payment of the month, second of the day: the month's volume is 700, not the day's 100.
    # [700, 1,000) at 1 % + [1,000, 1,100) at 0.5 % = 3.00 + 0.50, plus 0.50 fixed.
    charge = fee(outgoing(a, "400.00", date=dt.date(2026, 3, 10)))

    assert charge.amount == D("4.00")
    assert charge.details["allowance"]["used"] == 2
    assert charge.details["tiers"]["volume_before"] == "700"
    assert month_usage(a) == (3, D("1100.00"))
    day = FeeUsage.objects.get(account=a, period="day", period_start=dt.date(2026, 3, 10))
    assert (day.count, day.volume) == (2, D("500.00"))


def test_a_preview_reads_the_counters_as_they_stand(bank):
    plan("STANDARD", rule(free_allowance_count=2, **TIERED))
    a = account_on(bank)
    fee(outgoing(a, "600.00"))
    fee(outgoing(a, "600.00"))

    preview = fee(outgoing(a, "100.00"), preview=True)

    # Third event: not free. [1,200, 1,300) at 0.5 % = 0.50, plus 0.50 fixed.
    assert preview.amount == D("1.00") and preview.details["allowance"]["used"] == 3
    assert preview.details["tiers"]["volume_before"] == "1200"
    assert month_usage(a) == (2, D("1200.00"))


# --- who pays, and periodic fees -------------------------------------------------------------


def test_an_intent_without_an_account_to_charge_costs_nothing(bank):
    plan("STANDARD", rule("incoming_payment", fixed_amount=D("0.15")))
    nobody = PaymentIntent(kind="incoming", event="incoming_payment", channel="file", amount=D("50.00"),
                           currency="EUR", business_date=MARCH_10)

    assert fees_for(nobody) == []


def test_a_periodic_fee_has_no_amount_to_take_a_percentage_of(bank):
    plan("STANDARD", rule("monthly_maintenance", fixed_amount=D("4.50"), percentage=D("1")))
    a = account_on(bank)

    charge = periodic_fee_for(a, "monthly_maintenance", dt.date(2026, 3, 31))

    assert charge.amount == D("4.50") and charge.details["percentage_part"] == "0"
    assert charge.details["channel"] == "any" and charge.currency == "EUR"


def test_only_periodic_events_are_priced_as_periodic_fees(bank):
    a = account_on(bank)

    with pytest.raises(ValueError) as caught:
        periodic_fee_for(a, "outgoing_payment", dt.date(2026, 3, 31))

    assert str(caught.value) == "'outgoing_payment' is not a periodic fee event (monthly_maintenance)"


# --- what is logged when nothing is charged ----------------------------------------------------


def test_why_no_fee_is_logged_at_the_right_level(bank, caplog):
    standard = plan("STANDARD", rule(fixed_amount=D("0.35")))
    free, unknown, inactive = account_on(bank, ""), account_on(bank, "NO-SUCH-PLAN"), account_on(bank)
    services.plan_update(plan_id=standard.pk, is_active=False, reason="withdrawn")

    with caplog.at_level(logging.DEBUG, logger="backoffice.tariffs.policy"):
        assert fees_for(outgoing(free)) == fees_for(outgoing(unknown)) == fees_for(outgoing(inactive)) == []

    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "backoffice.tariffs.policy"]
    assert records == [
        (logging.DEBUG, f"No fee for account {free.pk}: product {free.product.code} names no tariff plan"),
        (logging.WARNING, f"No fee for account {unknown.pk}: product {unknown.product.code} names tariff plan "
                          "'NO-SUCH-PLAN', which does not exist"),
        (logging.INFO, f"No fee for account {inactive.pk}: tariff plan STANDARD is inactive"),
    ]


def test_pricing_takes_the_usage_unless_asked_for_a_preview(bank):
    plan("STANDARD", rule(fixed_amount=D("0.50"), free_allowance_count=1))
    a = account_on(bank)

    assert fees_for(outgoing(a)) == []  # the module function: the free event is taken
    assert TARIFFS.fees_for(outgoing(a))[0].amount == D("0.50")  # the seam object: the second is charged
    assert month_usage(a) == (2, D("200.00"))


def test_a_payment_starting_exactly_at_a_band_lists_only_the_bands_it_falls_in(bank):
    plan("STANDARD", rule(**TIERED))
    a = account_on(bank)
    assert fee(outgoing(a, "1000.00")).amount == D("10.50")  # 1,000 at 1 % and the 1,000 band's 0.50

    charge = fee(outgoing(a, "100.00"))  # [1,000, 1,100): all of it in the 1,000 band

    assert charge.amount == D("1.00")  # 0.50 + 0.50
    assert charge.details["tiers"]["bands"] == [{"from_volume": "1000", "percentage": "0.005", "portion": "100",
                                                 "part": "0.5"}]
