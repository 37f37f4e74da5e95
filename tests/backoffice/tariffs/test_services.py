"""The tariff services refuse what is not a valid tariff, with stable codes, and audit writes."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.tariffs import exceptions as exc
from backoffice.tariffs import services
from backoffice.tariffs.models import FeeRule, TariffPlan, TariffVersion
from core_banking.audit.models import AuditEvent
from core_banking.ledger.services import business_date_open
from tests import banking

from .conftest import plan, rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

D = Decimal


def future(days=10):
    return business_date_open() + dt.timedelta(days=days)


@pytest.fixture
def standard(db):
    return plan("STANDARD", rule(fixed_amount=D("0.35")))


@pytest.mark.parametrize("code", ["", "with space", "-LEADING", "ÜBER"])
def test_a_plan_code_is_upper_case_letters_digits_and_dashes(db, code):
    with pytest.raises(exc.InvalidTariff) as refused:
        services.plan_create(code=code, name="Plan")
    assert refused.value.code == "invalid_tariff"


def test_a_plan_code_is_stored_upper_case_and_unique(db):
    assert services.plan_create(code="gold_2026", name="Gold").code == "GOLD_2026"
    with pytest.raises(exc.TariffExists):
        services.plan_create(code="GOLD_2026", name="Gold again")


def test_updating_a_plan_audits_what_changed(standard):
    services.plan_update(plan_id=standard.pk, is_active=False, name="Standard (old)", reason="replaced")

    event = AuditEvent.objects.get(action="tariff_plan.updated")
    assert event.changes == ["is_active", "name"] and event.reason == "replaced"
    assert event.before == {"is_active": True, "name": "Standard"}
    assert services.plan_update(plan_id=standard.pk, is_active=False) is not None
    assert AuditEvent.objects.filter(action="tariff_plan.updated").count() == 1  # no change, no event


def test_a_plans_first_version_may_be_back_dated_but_not_the_next(standard):
    with pytest.raises(exc.InvalidTariff, match="cannot start before the current business date"):
        services.version_create(plan_id=standard.pk, effective_from=business_date_open() - dt.timedelta(days=1))
    with pytest.raises(exc.TariffExists):
        services.version_create(plan_id=standard.pk, effective_from=dt.date(2026, 1, 1))

    today = services.version_create(plan_id=standard.pk, effective_from=business_date_open())
    assert today.effective_from == business_date_open()


def test_rules_are_added_only_before_the_version_starts(standard):
    started = standard.versions.get()
    with pytest.raises(exc.TariffVersionInForce):
        services.rule_create(version_id=started.pk, event="cash_deposit", currency="EUR")

    upcoming = services.version_create(plan_id=standard.pk, effective_from=future())
    created = services.rule_create(version_id=upcoming.pk, event="cash_deposit", currency="EUR",
                                   fixed_amount=D("2.00"))
    assert created.version == upcoming


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"fixed_amount": D("0.001")}, "fixed_amount", "more than 2 decimal places"),
    ({"fixed_amount": D("-1")}, "fixed_amount", "negative"),
    ({"percentage": D("1.5")}, "percentage", "between 0 and 1"),
    ({"percentage": D("0.000000001")}, "percentage", "decimal places"),
    ({"min_fee": D("5"), "max_fee": D("2")}, "max_fee", "below min_fee"),
    ({"allowance_period": "year"}, "allowance_period", "day or month"),
    ({"event": "coffee"}, "event", "unknown fee event"),
    ({"channel": "fax"}, "channel", "unknown channel"),
    ({"event": "monthly_maintenance", "channel": "branch"}, "channel", "periodic"),
    ({"currency": "XXX"}, "currency", "unknown or inactive"),
    ({"tiers": [{"from_volume": D("0"), "percentage": D("0.01")}]}, "tiers.from_volume", "above a volume of 0"),
    ({"tiers": [{"from_volume": D("100")}, {"from_volume": D("100")}]}, "tiers", "same volume"),
    ({"colour": "red"}, None, "unknown rule field"),
])
def test_a_rule_that_is_not_valid_is_refused(standard, fields, field, message):
    upcoming = services.version_create(plan_id=standard.pk, effective_from=future())

    with pytest.raises(exc.InvalidTariff, match=message) as refused:
        services.rule_create(version_id=upcoming.pk, **{**rule(), **fields})

    assert refused.value.extra.get("field") == field
    assert not FeeRule.objects.filter(version=upcoming).exists()


def test_an_amount_fits_the_fee_currencys_exponent(standard):
    upcoming = services.version_create(plan_id=standard.pk, effective_from=future())

    yen = services.rule_create(version_id=upcoming.pk, **rule(currency="JPY", fixed_amount=D("150")))
    assert yen.fixed_amount == D("150")
    with pytest.raises(exc.InvalidTariff, match="decimal places"):
        services.rule_create(version_id=upcoming.pk, **rule("cash_deposit", currency="JPY", fixed_amount=D("1.5")))


def test_one_rule_per_event_and_channel(standard):
    upcoming = services.version_create(plan_id=standard.pk, effective_from=future(), rules=[rule()])

    services.rule_create(version_id=upcoming.pk, **rule(channel="branch"))
    with pytest.raises(exc.TariffExists):
        services.rule_create(version_id=upcoming.pk, **rule(channel="branch"))


def test_a_version_with_a_bad_rule_is_not_created(standard):
    with pytest.raises(exc.InvalidTariff) as refused:
        services.version_create(plan_id=standard.pk, effective_from=future(),
                                rules=[rule(), rule("cash_deposit", percentage=D("2"))])

    assert refused.value.extra["rule_index"] == 1
    assert TariffVersion.objects.filter(plan=standard).count() == 1


def test_unknown_plans_and_versions(db):
    with pytest.raises(exc.TariffNotFound):
        services.version_create(plan_id=999999, effective_from=future())
    with pytest.raises(exc.TariffNotFound):
        services.rule_create(version_id=999999, **rule())


def test_a_customers_overrides_do_not_overlap(standard):
    bank = banking.setup_bank()
    ada = banking.customer()
    banking.account(ada, banking.product(bank, tariff_plan_code="STANDARD"))
    services.plan_create(code="PREMIUM", name="Premium")
    services.customer_tariff_assign(customer_id=ada.pk, plan_code="PREMIUM", valid_from=dt.date(2026, 3, 1),
                                    valid_to=dt.date(2026, 3, 31))

    with pytest.raises(exc.CustomerTariffOverlap):
        services.customer_tariff_assign(customer_id=ada.pk, plan_code="STANDARD", valid_from=dt.date(2026, 3, 31))
    with pytest.raises(exc.CustomerTariffOverlap):
        services.customer_tariff_assign(customer_id=ada.pk, plan_code="STANDARD", valid_from=dt.date(2026, 1, 1))
    with pytest.raises(exc.InvalidTariff):
        services.customer_tariff_assign(customer_id=ada.pk, plan_code="STANDARD", valid_from=dt.date(2026, 5, 1),
                                        valid_to=dt.date(2026, 4, 30))
    with pytest.raises(exc.TariffNotFound):
        services.customer_tariff_assign(customer_id=ada.pk, plan_code="NOPE", valid_from=dt.date(2026, 5, 1))

    services.customer_tariff_assign(customer_id=ada.pk, plan_code="STANDARD", valid_from=dt.date(2026, 4, 1))
    assert AuditEvent.objects.filter(action="customer_tariff.assigned").count() == 2


def test_writes_are_audited(standard):
    assert AuditEvent.objects.filter(action="tariff_plan.created", object_id=str(standard.pk)).exists()
    event = AuditEvent.objects.get(action="tariff_version.created")
    assert event.after["effective_from"] == "2026-01-01"
    assert event.after["rules"][0]["fixed_amount"] == "0.35"
    assert TariffPlan.objects.get().code == "STANDARD"
