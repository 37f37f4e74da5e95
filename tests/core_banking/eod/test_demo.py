"""The demo's end of day (``core_banking.eod.demo.end_of_day``) and the history it gives the payments
demo: the last business dates closed by completed runs of every configured step, the demo left on
today's open business date, where a payment posts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from core_banking.eod import calendar
from core_banking.eod.demo import DemoEndOfDayFailed, end_of_day
from core_banking.eod.models import EodChunk, EodRun
from core_banking.ledger.models import BusinessDay, LedgerAccount
from core_banking.ledger.selectors import account_balance, business_date_current
from core_banking.payments import demo as payments_demo

from . import steps
from .conftest import FRIDAY

pytestmark = pytest.mark.django_db
MONDAY = FRIDAY + dt.timedelta(days=3)


def test_end_of_day_runs_every_step_to_the_end_in_this_process(eod_steps, population):
    run = end_of_day()

    assert (run.business_date, run.next_business_date, run.status) == (FRIDAY, MONDAY, EodRun.Status.COMPLETED)
    assert run.finished_at >= run.started_at
    assert list(run.steps.values_list("name", "status")) == [
        ("test.credit", "completed"), ("test.empty", "completed"), ("test.flaky", "completed")]
    assert set(EodChunk.objects.filter(step__run=run).values_list("status", "worker")) == {("done", "seed_demo")}
    assert business_date_current() == MONDAY
    for account in population:  # each step credited every account once
        assert account_balance(account_id=account.pk).posted == Decimal("2.00")


def test_a_failed_chunk_is_tried_again_as_the_worker_would(eod_steps, population):
    steps.FAILURES[population[0].pk] = 1  # the first chunk of the flaky step fails once

    run = end_of_day()

    assert run.status == EodRun.Status.COMPLETED
    assert EodChunk.objects.get(step__run=run, step__name="test.flaky", index=0).attempts == 2


def test_a_step_that_keeps_failing_stops_the_demo_with_the_runs_error(eod_steps, population, settings):
    settings.EOD_CHUNK_ATTEMPTS = 2
    steps.FAILURES[population[0].pk] = 5

    with pytest.raises(DemoEndOfDayFailed, match="flaky chunk starting at"):
        end_of_day()

    assert EodRun.objects.get(business_date=FRIDAY).status == EodRun.Status.FAILED


def test_the_payments_demo_closes_its_last_business_dates_with_the_end_of_day():
    today = timezone.localdate()
    out = io.StringIO()

    payments_demo.load_demo_payments(stdout=out)

    dates = payments_demo._history_dates(today)
    runs = list(EodRun.objects.order_by("business_date"))
    assert len(runs) == payments_demo.EOD_DAYS
    assert all(run.status == EodRun.Status.COMPLETED and run.finished_at for run in runs)
    assert all(calendar.is_business_day(run.business_date) for run in runs)
    # Consecutive business dates, each run opening the next one's date; the last closed date before
    # today (or today's predecessor) follows them.
    for run, following in zip(runs, runs[1:], strict=False):
        assert run.next_business_date == following.business_date
    assert runs[-1].next_business_date in dates
    assert [d for d in dates if runs[0].business_date <= d <= runs[-1].business_date] == [
        run.business_date for run in runs]
    # The demo ends on today's open business date, every earlier one closed.
    assert BusinessDay.objects.get(closed_at__isnull=True).date == today == business_date_current()
    assert not BusinessDay.objects.filter(date__gt=today).exists()
    # Each closed date had its payments.
    from core_banking.payments.models import Payment

    for run in runs:
        assert Payment.objects.filter(business_date=run.business_date).exists()
    assert f"the last {payments_demo.EOD_DAYS} closed by the end of day" in out.getvalue()

    # A payment made now posts on today's business date.
    from core_banking.accounts.models import Account
    from core_banking.payments import services as payments

    account = Account.objects.filter(product__code="CUR-EUR").order_by("pk").first()
    payment, _ = payments_demo.as_system(payments.payment_create, kind="cash_deposit", amount="10.00",
                                         currency="EUR", creditor_account_id=account.pk, channel="branch",
                                         idempotency_key="eod-demo-test")
    assert (payment.status, payment.business_date) == ("posted", today)

    # Loaded twice: nothing new.
    counts = (EodRun.objects.count(), Payment.objects.count(), LedgerAccount.objects.count())
    assert "already loaded" in _load_again()
    assert (EodRun.objects.count(), Payment.objects.count(), LedgerAccount.objects.count()) == counts


def _load_again() -> str:
    out = io.StringIO()
    payments_demo.load_demo_payments(stdout=out)
    return out.getvalue()


def test_history_dates_follow_the_bank_calendar_and_end_today(settings):
    settings.BANK_HOLIDAYS = "ECB"
    christmas_week = dt.date(2030, 12, 27)  # a Friday, after two TARGET2 holidays

    dates = payments_demo._history_dates(christmas_week)

    assert dates[-1] == christmas_week and len(dates) == payments_demo.HISTORY_DAYS
    assert dt.date(2030, 12, 25) not in dates and dt.date(2030, 12, 26) not in dates
    assert all(calendar.is_business_day(d) for d in dates)
    closed = payments_demo._closed_by_end_of_day(dates)
    assert len(closed) == payments_demo.EOD_DAYS
    assert max(closed) == len(dates) - 1  # a business day today: yesterday's end of day opened it
    sunday = dt.date(2030, 12, 29)
    dates = payments_demo._history_dates(sunday)
    assert dates[-1] == sunday and dates[-2] == christmas_week
    assert len(dates) - 1 not in payments_demo._closed_by_end_of_day(dates)  # a plain roll to a Sunday
