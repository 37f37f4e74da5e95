"""The operations dashboard on the demo bank of ``make run`` (``seed_demo``, loaded once for the
module in a transaction rolled back at the end): every chart has real figures, made by the real
code paths.

* payments per business date and fee income from the payments demo's history;
* end-of-day runs: the payments demo closes its last business dates with the real end of day
  (``core_banking.eod.demo.end_of_day``), and the demo stays on today's open business date;
* KYC and ticket backlogs from their demos;
* compliance alerts: the monitoring demo's payments caught by the real-time rules;
* reconciliation: the settlement account's camt.053, written from the settlement demo's batches
  and imported, auto-matched and aged by the reconciliation services (``reconciliation.demo``),
  with open breaks; the safeguarding check from the safeguarding account's statement.

A second ``seed_demo`` adds nothing.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers import sign_in_verified

from .test_dashboard import charts

pytestmark = pytest.mark.django_db
URL = reverse("staff:dashboard")
ALL_CHARTS = {"chart-payments", "chart-fees", "chart-eod", "chart-backlog", "chart-alerts", "chart-safeguarding"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo bank of ``make run``, for the whole module; the output of ``seed_demo``."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("seed_demo", force=True, stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def dashboard(role: str, **params) -> str:
    user = get_user_model().objects.get(username=f"demo_{role}")
    response = sign_in_verified(Client(), user).get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def has_figures(chart: dict) -> bool:
    """Labels, and a non-zero figure in some data series."""
    values = [value for dataset in chart["datasets"] for value in dataset["data"]]
    return bool(chart["labels"]) and any(value not in (None, 0, "0", "0.00") for value in values)


@pytest.mark.parametrize("days", [None, "7", "90"])
def test_every_chart_has_figures_after_the_demo(demo, days):
    params = {"days": days} if days else {}
    seen = {}
    for role in ("operations", "finance", "compliance_officer"):
        seen.update(charts(dashboard(role, **params)))

    assert set(seen) == ALL_CHARTS
    empty = sorted(chart_id for chart_id, chart in seen.items() if not has_figures(chart))
    assert empty == []


def test_the_figures_come_from_the_demos_history(demo):
    from core_banking.eod.models import EodRun
    from core_banking.payments.models import Payment

    found = charts(dashboard("operations"))
    runs = list(EodRun.objects.order_by("business_date"))
    # Every run of the period, completed, with its measured duration.
    assert found["chart-eod"]["labels"] == [run.business_date.isoformat() for run in runs]
    assert all(run.status == "completed" for run in runs)
    assert all(seconds is not None and seconds >= 0 for seconds in found["chart-eod"]["datasets"][0]["data"])
    # Payments on each closed business date of the runs, and on today's.
    days = set(found["chart-payments"]["labels"])
    assert {run.business_date.isoformat() for run in runs} <= days
    assert timezone.localdate().isoformat() in days
    statuses = {dataset["label"] for dataset in found["chart-payments"]["datasets"]}
    assert {"Posted", "Sent"} <= statuses  # the settlement demo sent the past days' batches
    assert Payment.objects.filter(status="sent").exists()
    assert found["chart-safeguarding"]["labels"] == ["EUR"]
    officer = charts(dashboard("compliance_officer"))
    assert {"monitoring: TM-LARGE", "monitoring: TM-NEW-CPTY"} <= set(officer["chart-alerts"]["labels"])


def test_the_reconciliation_figures(demo):
    from reconciliation.models import Break, Match, SafeguardingCheck, Statement, StatementLine

    body = dashboard("operations")

    assert "Match rate of statement lines booked since" in body and "no lines" not in body
    lines = StatementLine.objects.filter(external_account__purpose="nostro")
    assert lines.count() > 100 and lines.filter(status="matched").count() >= lines.count() - 5
    assert set(Match.objects.filter(state="matched").values_list("rule", flat=True)) >= {"reference", "amount_date"}
    assert all(Statement.objects.values_list("balanced", flat=True))
    open_breaks = Break.objects.filter(status="open")
    assert open_breaks.filter(line__isnull=False).exists()  # the clearing fees nobody booked
    assert open_breaks.filter(posting__isnull=False).exists()  # the payment returned before it went out
    assert f'<strong class="late">{open_breaks.count()}</strong>' in body
    check = SafeguardingCheck.objects.get()
    assert check.outcome == "excess" and check.safeguarded > check.client_money > 0


def test_the_demo_ends_on_todays_open_business_date_where_a_payment_posts(demo):
    from core_banking.accounts.models import Account
    from core_banking.ledger.selectors import business_date_current
    from core_banking.payments import services as payments
    from core_banking.payments.demo import as_system

    assert business_date_current() == timezone.localdate()
    account = Account.objects.filter(product__code="CUR-EUR").order_by("pk").first()
    payment, _ = as_system(payments.payment_create, kind="cash_deposit", amount="20.00", currency="EUR",
                           creditor_account_id=account.pk, channel="branch", idempotency_key="dashboard-demo-today")
    assert (payment.status, payment.business_date) == ("posted", timezone.localdate())


def test_seed_demo_a_second_time_adds_nothing(demo):
    from compliance.cases.models import Alert
    from core_banking.eod.models import EodRun
    from core_banking.ledger.models import JournalEntry
    from core_banking.payments.models import Payment
    from reconciliation.models import Break, StatementFile, StatementLine

    def counts():
        return [model.objects.count() for model in (EodRun, Payment, JournalEntry, Alert, StatementFile,
                                                     StatementLine, Break)]

    before = counts()
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)

    assert counts() == before
    assert "Reconciliation demo: already loaded" in out.getvalue()
    assert "Reconciliation demo: 2 external accounts" in demo
