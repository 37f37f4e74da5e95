"""The operations dashboard (issue 9): who may see it (``staff.view_operations_dashboard``), each
figure from its app, the end-of-day panel htmx polls, the vendored chart library, and a query
count that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from core_banking.eod.services import eod_start
from core_banking.payments import services as payments
from reconciliation.models import SafeguardingCheck

from .pages_world import compliance_case, eod_finish, eod_population, eod_step, kyc_in_review

pytestmark = pytest.mark.django_db
URL = reverse("staff:dashboard")
PANEL = reverse("staff:dashboard-eod")


def charts(body: str) -> dict:
    data = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', body, re.S).group(1)
    return {chart["id"]: chart for chart in json.loads(data)}


def test_who_may_see_the_dashboard(world, people, signed_in):
    for user, status in ((people.ops, 200), (people.finance, 200), (people.officer, 200), (people.support, 403),
                         (people.reviewer, 403), (people.admin, 403), (people.nobody, 403)):
        assert signed_in(user).get(URL).status_code == status, user.username
        assert signed_in(user).get(PANEL).status_code == status, user.username
    home = signed_in(people.ops).get(reverse("staff:home")).content.decode()
    assert URL in home and reverse("staff:queues") in home and reverse("staff:transactions") in home
    assert URL not in signed_in(people.support).get(reverse("staff:home")).content.decode()


def test_the_figures(world, people, signed_in, settings):
    kyc_in_review(world.carol, people)
    compliance_case(world, people)
    SafeguardingCheck.objects.create(date=timezone.localdate(), currency_id="EUR", client_money=Decimal("4837.5"),
                                     safeguarded=Decimal("5000"), difference=Decimal("162.5"), outcome="excess")
    ops = signed_in(people.ops)
    body = ops.get(URL).content.decode()
    found = charts(body)
    day = world.internal.business_date.isoformat()
    assert found["chart-payments"]["labels"] == [day]
    assert found["chart-payments"]["datasets"][0]["label"] == "Posted"
    assert found["chart-payments"]["datasets"][0]["data"] == [2]
    assert {"chart-fees", "chart-eod", "chart-backlog", "chart-safeguarding"} <= set(found)
    assert "chart-alerts" not in found  # operations do not see compliance alerts
    assert "4837.50" in body and "5000.00" in body and "Match rate" in body
    assert "KYC applications" in body and "Tickets" in body
    officer = charts(signed_in(people.officer).get(URL).content.decode())
    assert officer["chart-alerts"]["labels"] == ["monitoring: large_amount"]
    assert "chart-fees" not in officer  # compliance officers do not see the bank's fee income
    finance = charts(signed_in(people.finance).get(URL).content.decode())
    assert "chart-backlog" not in finance and "chart-payments" in finance
    for days in ("7", "90"):
        assert ops.get(URL, {"days": days}).status_code == 200
    assert ops.get(URL, {"days": "5"}).status_code == 200  # an unknown period falls back to 30 days
    assert "Select a valid choice" in ops.get(URL, {"days": "5"}).content.decode()


def test_the_end_of_day_panel_follows_a_run(world, people, signed_in, settings):
    eod_population(settings)
    ops = signed_in(people.ops)
    assert "No end-of-day run yet" in ops.get(PANEL).content.decode()
    run = eod_start(actor=people.ops)
    panel = ops.get(PANEL).content.decode()
    assert 'data-status="running"' in panel and 'hx-trigger="every 2s"' in panel and "0/0" in panel
    eod_step(run.pk, chunks=1)
    panel = ops.get(PANEL).content.decode()
    assert "1/3" in panel and "Credit one euro" in panel
    eod_finish(run.pk)
    panel = ops.get(PANEL).content.decode()
    assert 'data-status="completed"' in panel and 'value="100"' in panel and "every 15s" in panel
    found = charts(ops.get(URL).content.decode())
    assert found["chart-eod"]["labels"] == [run.business_date.isoformat()]


def test_the_chart_library_and_htmx_are_vendored_with_their_licences():
    static = Path(django_settings.BASE_DIR) / "static" / "vendor"
    chart = (static / "chartjs" / "chart.umd.min.js").read_text()
    assert chart.startswith("/*!\n * Chart.js v4") and "Released under the MIT License" in chart[:300]
    assert "sourceMappingURL" not in chart
    assert (static / "chartjs" / "LICENSE.md").exists()
    htmx = (static / "htmx" / "htmx.min.js").read_text()
    assert htmx.startswith("/*! htmx.org v2") and (static / "htmx" / "LICENSE").exists()
    assert "https://" not in Path(django_settings.BASE_DIR, "templates/staff/base.html").read_text()


def test_query_count_does_not_grow_with_the_data(world, people, signed_in, django_assert_max_num_queries):
    officer = signed_in(people.officer)
    officer.get(URL)
    with django_assert_max_num_queries(30) as few:
        assert officer.get(URL).status_code == 200
    for n in range(10):
        payments.payment_create(kind="internal_transfer", amount=f"3.{n:02d}", currency="EUR",
                                debtor_account_id=world.a.pk, creditor_account_id=world.b.pk,
                                idempotency_key=f"dash-{n}")
    for n in range(3):
        SafeguardingCheck.objects.create(date=timezone.localdate() - dt.timedelta(days=n), currency_id="EUR",
                                         client_money=Decimal(1), safeguarded=Decimal(1), difference=Decimal(0),
                                         outcome="ok")
    with django_assert_max_num_queries(len(few.captured_queries) + 0):
        assert officer.get(URL).status_code == 200
