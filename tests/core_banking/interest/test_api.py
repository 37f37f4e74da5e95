"""The interest API: schedules with versions and tiers, a new rate version (permission, rules),
an account's interest to date (client isolation), and the admin pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core_banking.interest.models import InterestRate
from tests import banking
from tests.core_banking.api_auth import assert_problem, client_api, ensure_roles, sign_in, staff_api, staff_user
from tests.core_banking.interest.test_eod import (
    FIRST_DAY,
    live_february,
    make_schedule,
    open_account,
    set_business_date,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
SCHEDULES = "/api/v1/interest/schedules/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()
    set_business_date(FIRST_DAY)


@pytest.fixture
def bank():
    return banking.setup_bank(currencies=("EUR",))


@pytest.fixture
def ada():
    return banking.customer(first_name="Ada", last_name="Lovelace")


def test_schedules_are_listed_with_their_versions_and_tiers():
    schedule = make_schedule(tiers=[("10000", "0.03")])
    api = staff_api(staff_user(superuser=True))

    body = api.get(SCHEDULES).json()
    detail = api.get(f"{SCHEDULES}{schedule.pk}/").json()

    assert body == [detail]
    assert (detail["code"], detail["currency"], detail["convention"], detail["minimum_balance"]) == (
        "SAVINGS-EUR", "EUR", "act_365f", "0.00")
    assert detail["versions"][0]["credit_rate"] == "0.025"
    assert detail["versions"][0]["tiers"] == [{"from_balance": "10000.00", "rate": "0.03"}]
    assert_problem(api.get(f"{SCHEDULES}999999/"), status=404, code="interest_schedule_not_found")


def test_a_rate_version_needs_the_permission_a_future_date_and_valid_rates():
    schedule = make_schedule()
    url = f"{SCHEDULES}{schedule.pk}/rates/"
    body = {"effective_from": "2024-03-01", "credit_rate": "0.03", "debit_rate": "0.1",
            "tiers": [{"from_balance": "5000", "rate": "0.035"}], "note": "ECB hike"}

    assert staff_api(staff_user()).post(url, body, format="json").status_code == 403
    root = staff_api(staff_user(superuser=True))
    created = root.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert [v["effective_from"] for v in created.json()["versions"]] == ["2024-03-01", "2024-01-01"]
    version = InterestRate.objects.get(schedule=schedule, effective_from=dt.date(2024, 3, 1))
    assert [(t.from_balance, t.rate) for t in version.tiers.all()] == [(Decimal(5000), Decimal("0.035"))]
    assert_problem(root.post(url, body, format="json"), status=400, code="invalid_interest_rate")  # same date
    assert_problem(root.post(url, {**body, "effective_from": "2024-01-15"}, format="json"), status=400,
                   code="invalid_interest_rate")  # before the open business date (31 Jan 2024)
    assert_problem(root.post(url, {**body, "effective_from": "2024-04-01", "debit_rate": "-0.01"}, format="json"),
                   status=400, code="invalid_interest_rate")


@pytest.mark.backoffice
def test_an_accounts_interest_to_date_respects_client_isolation(bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    live_february(bank, account)
    url = f"/api/v1/accounts/{account.pk}/interest/"

    body = client_api(scopes=["accounts"]).get(url).json()

    assert body["capitalisations"][0]["interest"] == "24.32"
    assert (body["capitalisations"][0]["period_start"], body["capitalisations"][0]["net"]) == ("2024-02-01", "24.32")
    assert body["period_start"] is None and body["accrued_rounded"] == "0.00"
    partner = client_api(scopes=["accounts"], kind="partner")
    assert_problem(partner.get(url), status=404, code="account_not_found")


def test_admin_pages_render(client, bank, ada):
    schedule = make_schedule()
    account = open_account(bank, ada, schedule.code)
    live_february(bank, account)
    sign_in(client, staff_user(superuser=True))
    version = InterestRate.objects.get(schedule=schedule)
    for url in ("/admin/interest/interestrateschedule/", f"/admin/interest/interestrateschedule/{schedule.pk}/change/",
                "/admin/interest/interestrateschedule/add/", f"/admin/interest/interestrate/{version.pk}/change/",
                "/admin/interest/interestaccrual/", "/admin/interest/interestcapitalisation/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/interest/interestaccrual/add/").status_code == 403
