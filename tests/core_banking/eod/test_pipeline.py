"""The whole bank through real end-of-day runs: the default steps (``CORE_BANKING_EOD_STEPS`` as
configured), in-process (eager Celery), driven by ``run_eod`` one business date after another
from Monday 24 March 2031 to Wednesday 2 April 2031, across a weekend and a month end.

The bank: a savings account under an interest schedule (2.5 %, ACT/365F, monthly), a current
account whose tariff plan charges a monthly maintenance fee, a term deposit maturing on a Sunday
(paid out to its funding account), a disbursed loan with its first instalment due on 1 April,
an idle account that becomes dormant, and a hold that expires. Before the window the ledger
opens 17 March, where the idle account had its last customer payment; the other accounts are
opened on the 24th (``ACCOUNT_DORMANCY_DAYS`` = 10, so only the idle one can be idle that long
by 2 April)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from core_banking.accounts.models import Account, AccountStatusChange
from core_banking.deposits import services as deposit_services
from core_banking.deposits.models import TermDeposit
from core_banking.eod.models import EodRun, EodStepRun
from core_banking.eod.services import configured_steps
from core_banking.interest.models import InterestAccrual, InterestCapitalisation, InterestRate, InterestRateSchedule
from core_banking.ledger.models import Hold, JournalEntry
from core_banking.ledger.selectors import account_balance, business_date_current, trial_balance
from core_banking.ledger.services import business_date_roll, hold_create
from core_banking.loans.models import Instalment, Repayment
from core_banking.payments import services as payments
from tests import banking
from tests.backoffice.tariffs.conftest import plan, rule
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user
from tests.core_banking.loans.conftest import make_product, running_loan

pytestmark = pytest.mark.django_db
D = Decimal
ONE_DAY = dt.timedelta(days=1)

BEFORE = dt.date(2031, 3, 17)  # the idle account's last customer payment
FIRST = dt.date(2031, 3, 24)  # Monday: the first end of day
RUN_DATES = [dt.date(2031, 3, d) for d in (24, 25, 26, 27, 28, 31)] + [dt.date(2031, 4, 1), dt.date(2031, 4, 2)]
DEFAULT_STEPS = ["interest.accrue", "interest.capitalise", "fees.periodic", "deposits.accrue", "deposits.mature",
                 "loans.accrue", "loans.due", "accounts.dormancy", "ledger.expire_holds"]


def posted(account) -> Decimal:
    return account_balance(account_id=account.ledger_account_id).posted


def run_eod(*args: str) -> str:
    out = io.StringIO()
    call_command("run_eod", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def world(settings):
    settings.ACCOUNT_DORMANCY_DAYS = 10
    business_date_roll(to_date=BEFORE)
    bank = banking.setup_bank(currencies=("EUR",))
    w = type("World", (), {})()
    w.bank = bank

    # Before the window: the idle account's last customer payment (a cash deposit).
    idle_customer = banking.customer(first_name="Ida", last_name="Idle")
    w.idle = banking.account(idle_customer, banking.product(bank, code="IDLE-EUR"))
    payments.payment_create(kind="cash_deposit", amount="50.00", currency="EUR", creditor_account_id=w.idle.pk,
                            idempotency_key="pipeline-idle-cash")
    business_date_roll(to_date=FIRST)

    ada = banking.customer(first_name="Ada", last_name="Lovelace")
    # Savings under 2.5 % ACT/365F, capitalised monthly.
    schedule = InterestRateSchedule.objects.create(code="PIPE-SAV-EUR", name="Pipeline savings", currency_id="EUR",
                                                   convention="act_365f", capitalisation_frequency="monthly")
    InterestRate.objects.create(schedule=schedule, effective_from=dt.date(2031, 1, 1), credit_rate=D("0.025"))
    w.savings = banking.account(ada, banking.product(bank, kind="savings", code="PIPE-SAV",
                                                     interest_schedule_code=schedule.code))
    banking.fund(bank, w.savings, "10000.00")

    # A current account under a tariff plan with a monthly maintenance fee.
    plan("PIPE-STD", rule("monthly_maintenance", fixed_amount=D("4.50"), description="Account fee"))
    w.current = banking.account(ada, banking.product(bank, code="PIPE-CUR", tariff_plan_code="PIPE-STD"))
    banking.fund(bank, w.current, "100.00")

    # A term deposit of 5 days (matures Saturday 29 March), paid out to its funding account.
    w.funding = banking.account(ada, banking.product(bank, code="PIPE-FUND"))
    banking.fund(bank, w.funding, "5000.00")
    td_accounts = banking.product(bank, kind="term_deposit", code="PIPE-TDACC")
    td_product = deposit_services.deposit_product_create(
        code="PIPE-TD", name="Pipeline deposit", currency_id="EUR", account_product=td_accounts,
        convention="act_365f", term_unit="days", min_term=1, max_term=365, min_amount=D("100.00"),
        default_rate=D("0.03"))
    w.deposit, _ = deposit_services.deposit_open(product_id=td_product.pk, funding_account_id=w.funding.pk,
                                                 amount=D("2000.00"), term=5, idempotency_key="pipeline-td")

    # A loan disbursed today, first instalment due Tuesday 1 April, repaid from a funded account.
    ensure_roles()
    w.repayment = banking.account(ada, banking.product(bank, code="PIPE-REPAY"))
    banking.fund(bank, w.repayment, "1000.00")
    loan_product = make_product(banking.product(bank, kind="loan", code="PIPE-LOANACC"), code="PIPE-PL")
    w.loan = running_loan(product=loan_product, customer=ada, account=w.repayment, maker=staff_user("operations"),
                          checker=staff_user("finance"), principal="6000.00", term=12,
                          first_due_date=dt.date(2031, 4, 1))

    # A hold that never expires in the window (the one that does is placed on 26 March).
    w.lasting_hold, _ = hold_create(debit_account_id=w.current.ledger_account_id,
                                    credit_account_id=bank.settlement["EUR"].pk, amount=D("10.00"),
                                    idempotency_key="pipeline-hold-lasting",
                                    expires_at=timezone.now() + dt.timedelta(days=1))
    return w


def run_window(w) -> tuple[dict, dict, Hold]:
    """``run_eod`` for every date of the window, with the day's events before it; returns the
    savings account's accrual dates each run wrote, each run's output and the expiring hold."""
    expiring_hold = None
    accrued_by_run: dict[dt.date, list[dt.date]] = {}
    outputs: dict[dt.date, str] = {}
    for day in RUN_DATES:
        assert business_date_current() == day
        if day == dt.date(2031, 3, 26):  # placed and expired during the day: the close must release it
            expiring_hold, _ = hold_create(debit_account_id=w.current.ledger_account_id,
                                           credit_account_id=w.bank.settlement["EUR"].pk, amount=D("20.00"),
                                           idempotency_key="pipeline-hold-expiring", expires_at=timezone.now())
        if day == dt.date(2031, 3, 27):
            banking.fund(w.bank, w.savings, "2000.00")  # 12,000.00 from the close of the 27th
        seen = set(InterestAccrual.objects.filter(account=w.savings).values_list("business_date", flat=True))
        outputs[day] = run_eod()
        accrued_by_run[day] = sorted(set(InterestAccrual.objects.filter(account=w.savings)
                                         .values_list("business_date", flat=True)) - seen)
        if day == dt.date(2031, 3, 26):
            assert Hold.objects.get(pk=expiring_hold.pk).status == Hold.Status.EXPIRED
            assert Account.objects.get(pk=w.idle.pk).status == Account.Status.ACTIVE  # idle 9 days only
        if day == dt.date(2031, 3, 28):
            assert TermDeposit.objects.get(pk=w.deposit.pk).status == TermDeposit.Status.ACTIVE
    return accrued_by_run, outputs, expiring_hold


def test_the_bank_through_a_month_end_of_end_of_day_runs(world):
    w = world
    accrued_by_run, outputs, expiring_hold = run_window(w)

    # Every run completed, every configured (default) step completed, in the configured order.
    # (Other apps may plug steps in after these: they must complete too.)
    configured = [s.name for s in configured_steps()]
    assert [name for name in configured if name in DEFAULT_STEPS] == DEFAULT_STEPS
    runs = list(EodRun.objects.order_by("business_date"))
    assert [(r.business_date, r.status) for r in runs] == [(d, EodRun.Status.COMPLETED) for d in RUN_DATES], outputs
    for run in runs:
        steps = list(run.steps.order_by("position").values_list("name", "status"))
        assert steps == [(name, EodStepRun.Status.COMPLETED) for name in configured], (run.business_date, steps)
    assert business_date_current() == dt.date(2031, 4, 3)

    # The weekend was caught up by Monday's run; each day accrued once.
    assert accrued_by_run[dt.date(2031, 3, 28)] == [dt.date(2031, 3, 28)]
    assert accrued_by_run[dt.date(2031, 3, 31)] == [dt.date(2031, 3, 29), dt.date(2031, 3, 30), dt.date(2031, 3, 31)]
    assert accrued_by_run[FIRST] == [FIRST]  # no balance before the 24th: no rows for the days before

    # March interest: the daily end-of-day balances times 2.5 % / 365, summed, rounded once.
    march = {FIRST + i * ONE_DAY: D("10000.00") if i < 3 else D("12000.00") for i in range(8)}
    expected = sum((balance * D("0.025") / 365 for balance in march.values()), D(0)).quantize(
        D("0.01"), rounding=ROUND_HALF_UP)
    daily_rounding = sum((balance * D("0.025") / 365).quantize(D("0.01"), rounding=ROUND_HALF_UP)
                         for balance in march.values())
    assert expected == D("6.16") and daily_rounding == D("6.14")  # the test tells them apart
    rows = list(InterestAccrual.objects.filter(account=w.savings, business_date__lte=dt.date(2031, 3, 31))
                .order_by("business_date").values_list("business_date", "balance"))
    assert rows == sorted(march.items())
    capitalisations = list(InterestCapitalisation.objects.filter(account=w.savings))
    assert [(c.period_start, c.period_end, c.interest, c.net) for c in capitalisations] == [
        (dt.date(2031, 3, 1), dt.date(2031, 3, 31), expected, expected)]
    assert posted(w.savings) == D("12000.00") + expected

    # The March fee, once.
    from backoffice.tariffs.models import PeriodicFeeCharge

    fees = list(PeriodicFeeCharge.objects.filter(account=w.current)
                .values_list("period_start", "status", "amount", "charged_on"))
    assert fees == [(dt.date(2031, 3, 1), "charged", D("4.50"), dt.date(2031, 3, 31))]
    fee_entries = JournalEntry.objects.filter(idempotency_key__startswith=f"fee:monthly_maintenance:{w.current.pk}:")
    assert fee_entries.count() == 1
    assert posted(w.current) == D("95.50")

    # The deposit matured on Saturday and was paid out by Monday's run, once.
    deposit = TermDeposit.objects.get(pk=w.deposit.pk)
    assert deposit.maturity_date == dt.date(2031, 3, 29)
    assert deposit.status == TermDeposit.Status.MATURED
    maturity = JournalEntry.objects.filter(idempotency_key=f"deposit:{deposit.number}:maturity")
    assert maturity.count() == 1 and maturity.get().business_date == dt.date(2031, 4, 1)  # after Monday's cut-off
    # 2,000.00 at 3 % ACT/365F for 5 days, rounded once: 0.82.
    interest = (D("2000.00") * D("0.03") * 5 / 365).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert posted(w.funding) == D("5000.00") + interest

    # The first instalment was collected on its due date, once.
    first = Instalment.objects.get(loan=w.loan, number=1)
    assert (first.status, first.paid_on) == (Instalment.Status.PAID, dt.date(2031, 4, 1))
    collections = Repayment.objects.filter(loan=w.loan, kind=Repayment.Kind.COLLECTION)
    assert collections.count() == 1
    due = first.principal_due + first.interest_due + first.fees_due
    assert collections.get().amount == due
    assert posted(w.repayment) == D("1000.00") + D("6000.00") - due

    # The idle account became dormant on the 27th (ten days after the 17th), once.
    assert Account.objects.get(pk=w.idle.pk).status == Account.Status.DORMANT
    history = list(AccountStatusChange.objects.filter(account=w.idle, to_status="dormant"))
    assert len(history) == 1 and "2031-03-27" in history[0].reason
    others = [w.savings, w.current, w.funding, w.repayment]
    assert set(Account.objects.filter(pk__in=[a.pk for a in others]).values_list("status", flat=True)) == {"active"}

    # The hold placed on the 26th expired at its close; the lasting one is still pending.
    assert Hold.objects.get(pk=expiring_hold.pk).status == Hold.Status.EXPIRED
    assert Hold.objects.get(pk=w.lasting_hold.pk).status == Hold.Status.PENDING
    assert account_balance(account_id=w.current.ledger_account_id).available == D("95.50") - D("10.00")

    # The books balance.
    assert trial_balance().balanced
    for day in RUN_DATES:
        assert trial_balance(as_of=day).balanced, day
    call_command("verify_ledger", stdout=io.StringIO())

    # Re-running completed dates changes nothing.
    entries = JournalEntry.objects.count()
    accruals = InterestAccrual.objects.count()
    for day in (dt.date(2031, 3, 31), dt.date(2031, 4, 1)):
        out = run_eod("--date", day.isoformat())
        assert f"End of day {day} already completed." in out
    assert JournalEntry.objects.count() == entries and InterestAccrual.objects.count() == accruals
    assert business_date_current() == dt.date(2031, 4, 3)


# The step contract (core_banking/eod/step.py, docs/eod.md): "postings a step makes carry
# value_date = D": interest, fees, term deposits and loans all pass it.
STEP_KEYS = ("interest:", "fee:", "deposit:", "deposits:", "loans:")


def test_every_step_posting_carries_the_run_date_as_value_date(world):
    run_window(world)
    next_to_run = dict(EodRun.objects.values_list("next_business_date", "business_date"))
    wrong = [(e.idempotency_key, e.value_date, next_to_run[e.business_date])
             for e in JournalEntry.objects.filter(business_date__in=list(next_to_run)).order_by("id")
             if e.idempotency_key.startswith(STEP_KEYS) and e.value_date != next_to_run[e.business_date]]
    assert wrong == []
