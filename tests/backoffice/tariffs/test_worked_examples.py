"""Fees as a bank's pricing team would work them out by hand."""

import datetime as dt
import logging
from decimal import Decimal

import pytest

from backoffice.tariffs import services
from backoffice.tariffs.models import FeeUsage
from backoffice.tariffs.policy import fees_for, periodic_fee_for
from core_banking.ledger.services import business_date_open
from core_banking.payments.exceptions import FxRateUnavailable
from core_banking.payments.seams import PaymentIntent
from tests import banking

from .conftest import MARCH_10, account_on, outgoing, plan, rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

D = Decimal


def fee(intent, *, preview=False):
    """The one fee charged, or None when nothing is."""
    charges = fees_for(intent, preview=preview)
    assert len(charges) <= 1
    return charges[0] if charges else None


def amount(intent, *, preview=False):
    charge = fee(intent, preview=preview)
    return charge.amount if charge else D("0")


# --- fixed + percentage, minimum and maximum ------------------------------------------------


@pytest.fixture
def standard(bank):
    # 0.20 + 0.1 % of the amount, at least 1.00, at most 10.00
    return plan("STANDARD", rule(fixed_amount=D("0.20"), percentage=D("0.001"), min_fee=D("1.00"),
                                 max_fee=D("10.00"), description="SEPA transfer"))


def test_a_small_payment_pays_the_minimum(bank, standard):
    a = account_on(bank)

    charge = fee(outgoing(a, "100.00"))  # 0.20 + 0.10 = 0.30, below the 1.00 minimum

    assert charge.amount == D("1.00") and charge.currency == "EUR"
    assert charge.code == "STANDARD/outgoing_payment" and charge.description == "SEPA transfer"
    assert charge.details["subtotal"] == "0.3"
    assert charge.details["min_applied"] is True and charge.details["max_applied"] is False


def test_a_middling_payment_pays_fixed_plus_percentage(bank, standard):
    a = account_on(bank)

    charge = fee(outgoing(a, "2000.00"))  # 0.20 + 2.00

    assert charge.amount == D("2.20")
    assert charge.details["fixed"] == "0.2" and charge.details["percentage_part"] == "2"
    assert not charge.details["min_applied"] and not charge.details["max_applied"]


def test_a_large_payment_pays_the_maximum(bank, standard):
    a = account_on(bank)

    charge = fee(outgoing(a, "20000.00"))  # 0.20 + 20.00 = 20.20, above the 10.00 maximum

    assert charge.amount == D("10.00")
    assert charge.details["max_applied"] is True and charge.details["fee_in_fee_currency"] == "10"


def test_the_fee_is_rounded_once_half_even(bank):
    plan("STANDARD", rule(percentage=D("0.005")))
    a = account_on(bank)

    assert amount(outgoing(a, "25.00")) == D("0.12")  # 0.125 rounds to the even cent
    assert amount(outgoing(a, "27.00")) == D("0.14")  # 0.135 rounds to the even cent


def test_the_breakdown_names_plan_version_and_rule(bank, standard):
    a = account_on(bank)

    details = fee(outgoing(a, "2000.00")).details

    version = standard.versions.get()
    assert details["plan"] == "STANDARD" and details["plan_source"] == "product"
    assert details["version_id"] == version.pk and details["version_effective_from"] == "2026-01-01"
    assert details["rule_id"] == version.rules.get().pk
    assert details["channel"] == "any" and details["fee_currency"] == "EUR" and details["amount"] == "2.20"
    assert "conversion_rate" not in details and "allowance" not in details


# --- volume tiers ---------------------------------------------------------------------------


@pytest.fixture
def tiered(bank):
    # Band 0 (the rule): 1 % and 1.00 fixed; from 1,000 a month: 0.5 % and 0.50; from 5,000: 0.2 % and nothing.
    return plan("STANDARD", rule(fixed_amount=D("1.00"), percentage=D("0.01"), tiers=[
        {"from_volume": D("1000"), "percentage": D("0.005"), "fixed_amount": D("0.50")},
        {"from_volume": D("5000"), "percentage": D("0.002"), "fixed_amount": D("0")},
    ]))


def test_volume_tiers_charge_each_part_of_the_amount_at_its_bands_rate(bank, tiered):
    a = account_on(bank)

    # 0 -> 600: all in band 0: 1.00 + 6.00
    assert amount(outgoing(a, "600.00")) == D("7.00")
    # 600 -> 1,200: 400 at 1 % + 200 at 0.5 %, and the fixed amount of the band reached (0.50)
    second = fee(outgoing(a, "600.00"))
    assert second.amount == D("5.50")
    assert [(b["from_volume"], b["percentage"], b["portion"]) for b in second.details["tiers"]["bands"]] == [
        ("0", "0.01", "400"), ("1000", "0.005", "200")]
    assert second.details["tiers"]["fixed_band_from"] == "1000"
    # 1,200 -> 6,200: 3,800 at 0.5 % + 1,200 at 0.2 % = 19.00 + 2.40, no fixed amount from 5,000 on
    assert amount(outgoing(a, "5000.00")) == D("21.40")
    assert FeeUsage.objects.get(account=a, period="month").volume == D("6200.00")


def test_reaching_a_band_exactly_takes_its_fixed_amount(bank, tiered):
    a = account_on(bank)

    # 0 -> 1,000: all 1,000 in band 0 (10.00), and the volume reaches the 1,000 band: its 0.50 fixed
    assert amount(outgoing(a, "1000.00")) == D("10.50")


def test_volume_starts_again_each_month(bank, tiered):
    a = account_on(bank)
    amount(outgoing(a, "6000.00", date=dt.date(2026, 3, 10)))

    assert amount(outgoing(a, "100.00", date=dt.date(2026, 3, 31))) == D("0.20")  # 0.2 % band
    assert amount(outgoing(a, "100.00", date=dt.date(2026, 4, 1))) == D("2.00")  # back in band 0


def test_tiers_are_per_account(bank, tiered):
    a, b = account_on(bank), account_on(bank)
    amount(outgoing(a, "6000.00"))

    assert amount(outgoing(b, "100.00")) == D("2.00")


# --- free allowance -------------------------------------------------------------------------


def test_the_first_payments_of_the_month_are_free(bank):
    plan("STANDARD", rule(fixed_amount=D("0.50"), free_allowance_count=3))
    a = account_on(bank)

    march = [amount(outgoing(a, date=dt.date(2026, 3, day))) for day in (2, 9, 16, 23, 30)]
    april = [amount(outgoing(a, date=dt.date(2026, 4, day))) for day in (1, 2)]

    assert march == [D("0"), D("0"), D("0"), D("0.50"), D("0.50")]
    assert april == [D("0"), D("0")]  # a new month, a new allowance
    usage = FeeUsage.objects.get(account=a, period="month", period_start=dt.date(2026, 3, 1))
    assert (usage.count, usage.volume) == (5, D("500.00"))


def test_a_daily_allowance_starts_again_the_next_day(bank):
    plan("STANDARD", rule(fixed_amount=D("0.50"), free_allowance_count=1, allowance_period="day"))
    a = account_on(bank)

    assert amount(outgoing(a, date=dt.date(2026, 3, 10))) == D("0")
    charged = fee(outgoing(a, date=dt.date(2026, 3, 10)))
    assert amount(outgoing(a, date=dt.date(2026, 3, 11))) == D("0")

    assert charged.amount == D("0.50")
    assert charged.details["allowance"] == {"free_count": 1, "period": "day", "used": 2, "free": False}


def test_allowances_are_per_account(bank):
    plan("STANDARD", rule(fixed_amount=D("0.50"), free_allowance_count=1))
    a, b = account_on(bank), account_on(bank)
    amount(outgoing(a))

    assert amount(outgoing(b)) == D("0")
    assert amount(outgoing(a)) == D("0.50")


# --- currencies -----------------------------------------------------------------------------


def test_a_eur_tariff_charges_a_usd_account_in_usd_at_the_mid_rate(bank):
    # 1.00 EUR + 0.1 % of the amount, for a USD account; 1 EUR = 1.10 USD
    plan("STANDARD", rule(fixed_amount=D("1.00"), percentage=D("0.001")))
    banking.rate("EUR", "USD", "1.10")
    a = account_on(bank, currency="USD")

    charge = fee(outgoing(a, "220.00"))

    # 220 USD = 200 EUR; 1.00 + 0.20 = 1.20 EUR = 1.32 USD, rounded once at the end
    assert charge.currency == "USD" and charge.amount == D("1.32")
    assert charge.details["conversion_rate"] == {"from": "EUR", "to": "USD", "mid_rate": "1.1"}
    assert charge.details["amount_rate"]["from"] == "USD"
    assert D(charge.details["amount_in_fee_currency"]).quantize(D("0.01")) == D("200.00")
    assert charge.details["fee_in_fee_currency"].startswith("1.2000000")


def test_min_and_max_are_in_the_fee_currency(bank):
    plan("STANDARD", rule(min_fee=D("2.00")))
    banking.rate("EUR", "GBP", "0.85")
    a = account_on(bank, currency="GBP")

    assert amount(outgoing(a, "10.00")) == D("1.70")  # the 2.00 EUR minimum in GBP


def test_a_conversion_without_a_rate_refuses_rather_than_charging_nothing(bank):
    plan("STANDARD", rule(fixed_amount=D("1.00")))
    a = account_on(bank, currency="GBP")

    with pytest.raises(FxRateUnavailable):
        fees_for(outgoing(a))


# --- channels -------------------------------------------------------------------------------


def test_a_channel_rule_beats_the_any_channel_rule(bank):
    plan("STANDARD", rule(fixed_amount=D("0.35")), rule(channel="branch", fixed_amount=D("5.00")))
    a = account_on(bank)

    assert amount(outgoing(a, channel="branch")) == D("5.00")
    assert amount(outgoing(a, channel="api")) == D("0.35")
    assert amount(outgoing(a, channel="mobile")) == D("0.35")
    assert fee(outgoing(a, channel="branch")).details["channel"] == "branch"


def test_a_channel_only_tariff_charges_nothing_on_other_channels(bank):
    plan("STANDARD", rule(channel="branch", fixed_amount=D("5.00")))
    a = account_on(bank)

    assert fees_for(outgoing(a, channel="internet")) == []


# --- which plan -----------------------------------------------------------------------------


def test_a_customer_override_beats_the_products_plan_while_it_is_valid(bank):
    plan("STANDARD", rule(fixed_amount=D("0.35")))
    plan("PREMIUM", rule(fixed_amount=D("0.10")))
    a = account_on(bank, "STANDARD")
    override = services.customer_tariff_assign(customer_id=a.customer_id, plan_code="PREMIUM",
                                               valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 3, 31))

    assert amount(outgoing(a, date=dt.date(2026, 2, 28))) == D("0.35")
    charge = fee(outgoing(a, date=dt.date(2026, 3, 1)))
    assert charge.amount == D("0.10") and charge.code == "PREMIUM/outgoing_payment"
    assert charge.details["plan_source"] == "customer" and charge.details["customer_tariff_id"] == override.pk
    assert amount(outgoing(a, date=dt.date(2026, 3, 31))) == D("0.10")
    assert amount(outgoing(a, date=dt.date(2026, 4, 1))) == D("0.35")


def test_an_override_covers_every_account_of_the_customer(bank):
    plan("STANDARD", rule(fixed_amount=D("0.35")))
    plan("PREMIUM", rule(fixed_amount=D("0.10")))
    ada = banking.customer()
    first, second = account_on(bank, customer=ada), account_on(bank, customer=ada)
    services.customer_tariff_assign(customer_id=ada.pk, plan_code="PREMIUM", valid_from=dt.date(2026, 1, 1))

    assert amount(outgoing(first)) == amount(outgoing(second)) == D("0.10")


def test_an_inactive_plan_charges_nothing(bank):
    standard = plan("STANDARD", rule(fixed_amount=D("0.35")))
    a = account_on(bank)
    services.plan_update(plan_id=standard.pk, is_active=False, reason="withdrawn")

    assert fees_for(outgoing(a)) == []


def test_no_plan_code_charges_nothing_and_an_unknown_one_warns(bank, caplog):
    plan("STANDARD", rule(fixed_amount=D("0.35")))
    none, unknown = account_on(bank, ""), account_on(bank, "NO-SUCH-PLAN")

    with caplog.at_level(logging.WARNING, logger="backoffice.tariffs.policy"):
        assert fees_for(outgoing(none)) == []
        assert fees_for(outgoing(unknown)) == []

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("names no tariff plan" in m for m in warnings)  # a free product is not an error
    assert any("'NO-SUCH-PLAN', which does not exist" in m for m in warnings)


def test_an_event_without_a_rule_is_free(bank):
    plan("STANDARD", rule(fixed_amount=D("0.35")))
    a = account_on(bank)
    transfer = PaymentIntent(kind="internal_transfer", event="internal_transfer", channel="api", amount=D("10.00"),
                             currency="EUR", business_date=MARCH_10, debtor=a, creditor=account_on(bank))

    assert fees_for(transfer) == []


def test_incoming_money_is_charged_to_the_receiver(bank):
    plan("STANDARD", rule("incoming_payment", fixed_amount=D("0.15")))
    receiver = account_on(bank)
    incoming = PaymentIntent(kind="incoming", event="incoming_payment", channel="file", amount=D("50.00"),
                             currency="EUR", business_date=MARCH_10, creditor=receiver,
                             counterparty_iban="DE89370400440532013000")

    assert amount(incoming) == D("0.15")


# --- versions -------------------------------------------------------------------------------


def test_a_new_version_applies_from_its_date(bank):
    standard = plan("STANDARD", rule(fixed_amount=D("0.35")))
    a = account_on(bank)
    starts = business_date_open() + dt.timedelta(days=30)
    new = services.version_create(plan_id=standard.pk, effective_from=starts, note="price rise",
                                  rules=[rule(fixed_amount=D("0.50"))])

    assert amount(outgoing(a, date=dt.date(2025, 12, 31))) == D("0")  # before the first version
    assert amount(outgoing(a, date=starts - dt.timedelta(days=1))) == D("0.35")
    charge = fee(outgoing(a, date=starts))
    assert charge.amount == D("0.50") and charge.details["version_id"] == new.pk
    first = standard.versions.get(effective_from=dt.date(2026, 1, 1))
    assert first.effective_to == starts - dt.timedelta(days=1) and new.effective_to is None


# --- preview --------------------------------------------------------------------------------


def test_a_preview_writes_nothing(bank):
    plan("STANDARD", rule(fixed_amount=D("0.50"), free_allowance_count=1, tiers=[
        {"from_volume": D("1000"), "fixed_amount": D("0.25")}]))
    a = account_on(bank)

    assert amount(outgoing(a), preview=True) == D("0")  # the free one, shown
    assert amount(outgoing(a), preview=True) == D("0")  # ...and still free: nothing was taken
    assert FeeUsage.objects.count() == 0

    assert amount(outgoing(a)) == D("0")  # taken for real
    preview = fee(outgoing(a, "2000.00"), preview=True)
    assert preview.amount == D("0.25") and preview.details["preview"] is True
    usage = FeeUsage.objects.get(account=a)
    assert (usage.count, usage.volume) == (1, D("100.00"))


# --- periodic fees --------------------------------------------------------------------------


def test_the_monthly_maintenance_fee(bank):
    plan("STANDARD", rule("monthly_maintenance", fixed_amount=D("4.50"), description="Monthly account fee"))
    a = account_on(bank)

    charge = periodic_fee_for(a, "monthly_maintenance", dt.date(2026, 3, 31))

    assert charge.amount == D("4.50") and charge.code == "STANDARD/monthly_maintenance"
    assert charge.description == "Monthly account fee"
    assert periodic_fee_for(a, "monthly_maintenance", dt.date(2025, 12, 31)) is None  # no version yet
    with pytest.raises(ValueError, match="not a periodic"):
        periodic_fee_for(a, "outgoing_payment", dt.date(2026, 3, 31))


def test_a_periodic_fee_counts_against_an_allowance_like_a_payment(bank):
    plan("STANDARD", rule("monthly_maintenance", fixed_amount=D("4.50"), free_allowance_count=1))
    a = account_on(bank)

    assert periodic_fee_for(a, "monthly_maintenance", dt.date(2026, 3, 31), preview=True) is None
    assert periodic_fee_for(a, "monthly_maintenance", dt.date(2026, 3, 31)) is None
    assert periodic_fee_for(a, "monthly_maintenance", dt.date(2026, 3, 31)).amount == D("4.50")
