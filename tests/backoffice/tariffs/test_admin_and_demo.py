"""The tariffs admin keeps charged prices fixed; the demo tariffs load once and price payments."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.approvals import services as approvals
from backoffice.approvals.models import ApprovalRequest
from backoffice.tariffs import services
from backoffice.tariffs.demo import load_demo
from backoffice.tariffs.models import FeeRule, FeeTier, FeeUsage, TariffPlan, TariffVersion
from backoffice.tariffs.policy import fees_for, periodic_fee_for
from core_banking.ledger.services import business_date_open
from core_banking.payments.models import FeeEvent
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user
from tests.helpers import sign_in_verified

from .conftest import account_on, outgoing, plan, rule

pytestmark = pytest.mark.django_db

D = Decimal
ADMIN = "/admin/tariffs/"


@pytest.fixture
def browser(client, db):
    """An operations user: maintains tariffs, whose price changes a finance user approves."""
    ensure_roles()
    return sign_in_verified(client, staff_user("operations", username="tariff-admin"))


def approve_pending() -> list:
    checker = staff_user("finance", username=f"tariff-checker-{ApprovalRequest.objects.count()}")
    done = [approvals.request_approve(request_id=r.pk, actor=checker)
            for r in ApprovalRequest.objects.filter(status="pending").order_by("id")]
    assert done and all(r.status == "executed" for r in done), [r.execution_error for r in done]
    return done


@pytest.fixture
def standard(db):
    return plan("STANDARD", rule(fixed_amount=D("0.35"), tiers=[{"from_volume": D("1000")}]))


def inline(prefix, *rows, initial=0):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


# --- admin ----------------------------------------------------------------------------------


def test_every_tariffs_page_opens(browser, standard, bank):
    account_on(bank)
    fees_for(outgoing(account_on(bank)))
    version = standard.versions.get()
    pages = ["tariffplan/", f"tariffplan/{standard.pk}/change/", "tariffplan/add/", "tariffversion/",
             f"tariffversion/{version.pk}/change/", "feerule/", f"feerule/{version.rules.get().pk}/change/",
             "feerule/add/", "customertariff/", "customertariff/add/", "feeusage/"]

    for page in pages:
        assert browser.get(f"{ADMIN}{page}").status_code == 200, page


def test_a_plan_is_added_with_its_first_version(browser):
    response = browser.post(f"{ADMIN}tariffplan/add/", {
        "code": "gold", "name": "Gold", "description": "", "is_active": "on",
        **inline("versions", {"effective_from": "2025-06-01", "note": "launch"}),
    })

    assert response.status_code == 302, response.context["adminform"].form.errors
    gold = TariffPlan.objects.get(code="GOLD")  # a plan charges nothing without a version: made directly
    assert not gold.versions.exists()
    request = ApprovalRequest.objects.get()
    assert (request.action_type, request.maker.username, request.payload) == ("tariff_change", "tariff-admin", {
        "operation": "version_create", "plan_id": gold.pk, "effective_from": "2025-06-01", "note": "launch",
        "rules": [], "reason": "new version of plan GOLD from the admin"})
    (executed,) = approve_pending()
    version = gold.versions.get()
    assert version.effective_from == dt.date(2025, 6, 1) and version.created_by.username == "tariff-checker-1"
    assert executed.result == {"version_id": version.pk, "operation": "version_create"}


def test_a_plan_change_asks_for_approval(browser, standard):
    page = f"{ADMIN}tariffplan/{standard.pk}/change/"
    version = standard.versions.get()
    existing = {"id": str(version.pk), "plan": str(standard.pk)}
    body = {"name": standard.name, "description": "", **inline("versions", existing, initial=1)}  # deactivate

    no_reason = browser.post(page, body)
    assert no_reason.status_code == 200 and "reason is required" in no_reason.content.decode()
    assert not ApprovalRequest.objects.exists()

    browser.post(page, {**body, "approval_reason": "plan retired"})
    standard.refresh_from_db()
    assert standard.is_active  # waits for the checker
    assert ApprovalRequest.objects.get().payload == {"operation": "plan_update", "plan_id": standard.pk,
                                                     "is_active": False, "reason": "plan retired"}
    approve_pending()
    standard.refresh_from_db()
    assert not standard.is_active


def test_a_new_version_may_not_be_back_dated_in_the_admin(browser, standard):
    version = standard.versions.get()
    existing = {"id": str(version.pk), "plan": str(standard.pk), "effective_from": "2026-01-01", "note": ""}
    response = browser.post(f"{ADMIN}tariffplan/{standard.pk}/change/", {
        "name": "Standard", "description": "", "is_active": "on",
        **inline("versions", existing, {"effective_from": "2026-02-01", "note": "oops"}, initial=1),
    })

    assert response.status_code == 200  # the form again, with the error
    assert "cannot start before the current business date" in response.content.decode()
    assert TariffVersion.objects.filter(plan=standard).count() == 1


def test_the_rules_of_a_started_version_are_read_only(browser, standard):
    started_rule = standard.versions.get().rules.get()

    response = browser.post(f"{ADMIN}feerule/{started_rule.pk}/change/", {"fixed_amount": "9.99"})

    assert response.status_code == 403
    started_rule.refresh_from_db()
    assert started_rule.fixed_amount == D("0.35")


def test_a_rule_is_added_to_an_upcoming_version_with_its_tiers(browser, standard):
    upcoming = banking.as_system(services.version_create, plan_id=standard.pk,
                                       effective_from=business_date_open() + dt.timedelta(days=5))
    fields = {"version": str(upcoming.pk), "event": "cash_deposit", "channel": "", "currency": "EUR",
              "fixed_amount": "2.00", "percentage": "0.1", "min_fee": "0", "max_fee": "25.00",
              "free_allowance_count": "0", "allowance_period": "month", "description": "Cash deposit"}

    refused = browser.post(f"{ADMIN}feerule/add/", {**fields, "min_fee": "30.00",
                                                     **inline("tiers", {"from_volume": "1000", "percentage": "0",
                                                                        "fixed_amount": "0"})})
    assert refused.status_code == 200 and "below min_fee" in refused.content.decode()

    no_reason = browser.post(f"{ADMIN}feerule/add/", {**fields, **inline("tiers")})
    assert no_reason.status_code == 200 and "approval_reason" in no_reason.context["adminform"].form.errors

    response = browser.post(f"{ADMIN}feerule/add/", {**fields, "approval_reason": "cash handling costs", **inline(
        "tiers", {"from_volume": "1000", "percentage": "0.05", "fixed_amount": "1.00"})})
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert response["Location"] == f"/admin/approvals/approvalrequest/{request.pk}/change/"
    assert request.payload["fields"]["tiers"] == [{"from_volume": "1000", "percentage": "0.0005",
                                                   "fixed_amount": "1.00"}]
    assert not FeeRule.objects.filter(version=upcoming).exists()
    approve_pending()
    created = FeeRule.objects.get(version=upcoming)
    assert FeeTier.objects.get(rule=created).percentage == D("0.0005")
    assert created.max_fee == D("25.00")


def test_a_rule_cannot_be_added_to_a_started_version_in_the_admin(browser, standard):
    response = browser.post(f"{ADMIN}feerule/add/", {
        "version": str(standard.versions.get().pk), "event": "cash_deposit", "channel": "", "currency": "EUR",
        "fixed_amount": "2.00", "percentage": "0", "min_fee": "0", "max_fee": "", "free_allowance_count": "0",
        "allowance_period": "month", **inline("tiers")})

    assert response.status_code == 200
    assert "version" in response.context["adminform"].form.errors


def test_usage_is_read_only(browser, bank, standard):
    a = account_on(bank)
    fees_for(outgoing(a))

    usage = FeeUsage.objects.get(account=a)
    assert browser.post(f"{ADMIN}feeusage/{usage.pk}/change/", {"count": "0"}).status_code == 403
    assert browser.get(f"{ADMIN}feeusage/add/").status_code == 403


# --- demo -----------------------------------------------------------------------------------


def test_the_demo_plans_price_every_event_and_load_once(bank):
    load_demo()
    load_demo()

    assert sorted(TariffPlan.objects.values_list("code", flat=True)) == ["PREMIUM", "STANDARD"]
    for code in ("STANDARD", "PREMIUM"):
        version = TariffVersion.objects.get(plan__code=code)
        assert {r.event for r in version.rules.all()} == set(FeeEvent.values)
        assert {r.currency_id for r in version.rules.all()} == {"EUR"}

    a = account_on(bank, "STANDARD")
    assert fees_for(outgoing(a, channel="branch"))[0].amount == D("5.00")
    assert periodic_fee_for(a, "monthly_maintenance", dt.date(2026, 3, 31)).amount == D("4.50")
    premium = account_on(bank, "PREMIUM")
    assert periodic_fee_for(premium, "monthly_maintenance", dt.date(2026, 3, 31)).amount == D("12.50")


class Lines:
    def __init__(self):
        self.lines = []

    def write(self, line):
        self.lines.append(line)


def test_the_demo_loader_reports_what_it_created(db):
    out = Lines()
    load_demo(stdout=out)
    load_demo(stdout=out)

    assert len(out.lines) == 2 and out.lines[0].startswith("Tariff plan STANDARD: 8 fee rules")
