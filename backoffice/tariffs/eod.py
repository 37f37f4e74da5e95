"""The tariffs' end-of-day step (the contract: ``core_banking/eod/step.py``): periodic fees.

``PERIODIC_FEES`` charges the monthly maintenance fee (``FeeEvent.MONTHLY_MAINTENANCE``) that
``policy.periodic_fee_for`` prices. Chunks are ranges of ``Account`` ids.

**When.** The end of day of business date ``D`` charges every month that has *ended on or before
``D``* and has not been decided for the account yet, from the month the account became active
on (its activation's business date). The month ending on a business day is charged by that
day's end of day (31 March, value date 31 March); a month ending on a weekend or holiday by the
first end of day after it (Monday 2 June for May 2025); a month an end of day missed, or a frozen
account's months, by the next one that runs. No bank calendar is needed: the rule only compares
``D`` with the months' last calendar days.

**Price.** Each month is priced once, on its last calendar day (``periodic_fee_for(account,
"monthly_maintenance", <last day of the month>)``: the plan, customer override and tariff version
in force then), and the outcome is recorded in ``PeriodicFeeCharge`` (unique per account, event
and month): ``free`` (no plan, no version yet, no rule, a free allowance: nothing to charge),
``charged`` or ``unpaid``. A plan's first version may be back-dated: months before it are free.

**Who pays.** Accounts in ``FEE_STATES``: active, dormant, debit- and credit-blocked (a block or
dormancy restricts the customer, not the bank's fee for keeping the account), whose product names
a tariff plan or whose customer has a tariff override. Pending and closed accounts pay nothing;
a frozen account is left alone while frozen (nothing moves on it) and its months are charged,
each at its own price, once it is unfrozen.

**Booking.** As the payments engine books a payment's fee: debit the customer's account, credit
the bank's fee-income booking account of the currency (``BookingAccount`` ``fee_income``), one
journal entry per account and month, ``value_date=D``, idempotency key
``fee:monthly_maintenance:<account id>:<YYYY-MM>``. The entry carries ``metadata["fee"]`` (not
``payment``: it is the bank's posting, it does not keep an account from becoming dormant).

**Cannot pay.** The ledger refuses a debit beyond the account's available balance and overdraft
limit; the fee is then recorded ``unpaid`` (with its amount and breakdown) and each later end of
day tries again (same amount, same key) until it is charged, with ``value_date`` the day it is.

**Atomicity.** Each account is one transaction (its row locked ``FOR UPDATE``, which waits for its
payments in flight): every month decided for it, or none. An account whose fee cannot be priced or
booked for another reason (no fee-income account in the currency, no FX rate for a conversion)
rolls back alone; the others go on, and ``PeriodicFeesFailed`` names them at the end. A second run
changes nothing: every month is recorded, and an unpaid one is retried with the same key.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from core_banking.accounts.models import Account
from core_banking.audit.services import to_jsonable
from core_banking.common.errors import DomainError
from core_banking.common.money import quantize
from core_banking.eod.step import Step
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import BusinessDay, EntryKind
from core_banking.ledger.selectors import business_date_cutoff
from core_banking.payments.models import BookingAccount, FeeEvent
from core_banking.payments.selectors import booking_account

from . import exceptions as exc
from . import policy
from .models import CustomerTariff, PeriodicFeeCharge

EVENT = FeeEvent.MONTHLY_MAINTENANCE.value
#: The account states that pay the monthly fee (see the module doc).
FEE_STATES = (Account.Status.ACTIVE, Account.Status.DORMANT, Account.Status.DEBIT_BLOCKED,
              Account.Status.CREDIT_BLOCKED)

_ONE_DAY = dt.timedelta(days=1)


# --- months ----------------------------------------------------------------------------------


def month_end(month: dt.date) -> dt.date:
    """The last calendar day of ``month``'s month."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - _ONE_DAY


def next_month(month: dt.date) -> dt.date:
    return month_end(month) + _ONE_DAY


def last_ended_month(business_date: dt.date) -> dt.date:
    """The first day of the latest month that has ended on or before ``business_date``."""
    start = business_date.replace(day=1)
    return start if business_date == month_end(start) else (start - _ONE_DAY).replace(day=1)


def fee_key(account_id: int, month: dt.date) -> str:
    return f"fee:{EVENT}:{account_id}:{month:%Y-%m}"


def _activation_date(account: Account) -> dt.date:
    """The business date the account became active on: the one open at ``activated_at``."""
    at = account.activated_at or account.opened_at
    day = (BusinessDay.objects.filter(opened_at__lte=at).order_by("-opened_at").values_list("date", flat=True)
           .first())
    if day is None:  # activated before the ledger's first business date opened
        day = BusinessDay.objects.order_by("date").values_list("date", flat=True).first()
    return day or at.date()


def months_due(account: Account, business_date: dt.date) -> list[dt.date]:
    """The months (first days) ended by ``business_date`` not recorded yet for ``account``."""
    through = last_ended_month(business_date)
    latest = (PeriodicFeeCharge.objects.filter(account=account, event=EVENT)
              .aggregate(latest=Max("period_start"))["latest"])
    month = next_month(latest) if latest else _activation_date(account).replace(day=1)
    months = []
    while month <= through:
        months.append(month)
        month = next_month(month)
    return months


# --- the step --------------------------------------------------------------------------------


def population(business_date: dt.date) -> QuerySet:
    """Ids (in order) of the accounts with a fee to decide or retry on ``business_date``: in a
    fee-paying state, under a tariff plan (product or customer override), active by the end of
    the latest ended month, and that month not recorded yet, or a month still unpaid."""
    through = last_ended_month(business_date)
    recorded = PeriodicFeeCharge.objects.filter(account_id=OuterRef("pk"), event=EVENT, period_start=through)
    unpaid = PeriodicFeeCharge.objects.filter(account_id=OuterRef("pk"), event=EVENT,
                                              status=PeriodicFeeCharge.Status.UNPAID)
    override = CustomerTariff.objects.filter(customer_id=OuterRef("customer_id"))
    accounts = (Account.objects.filter(status__in=FEE_STATES)
                .filter(~Q(product__tariff_plan_code="") | Exists(override))
                .filter(~Exists(recorded) | Exists(unpaid)))
    cutoff = business_date_cutoff(month_end(through))
    if cutoff is not None:
        accounts = accounts.filter(Q(activated_at__lte=cutoff) | Exists(unpaid))
    return accounts.order_by("id").values_list("id", flat=True)


def charge(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Decide and charge the chunk's due months, each account in its own transaction; returns
    how many fees were posted now (unpaid ones collected included)."""
    ids = list(population(business_date).filter(id__gte=first_id, id__lte=last_id))
    posted = 0
    failures: list[dict] = []
    for account_id in ids:
        try:
            posted += charge_account(account_id=account_id, business_date=business_date)
        except DomainError as error:
            failures.append({"account": account_id, "code": error.code, "detail": error.detail})
    if failures:
        raise exc.PeriodicFeesFailed(
            f"{len(failures)} account(s) could not be charged on {business_date.isoformat()} "
            f"({posted} fee(s) were): " + "; ".join(f"{f['account']}: {f['code']}" for f in failures),
            failures=failures, posted=posted)
    return posted


@transaction.atomic
def charge_account(*, account_id: int, business_date: dt.date) -> int:
    """One account: retry its unpaid months (oldest first), then price, record and post each
    month not recorded yet. Returns how many fees were posted now."""
    account = (Account.objects.select_for_update(of=("self",)).select_related("product", "currency")
               .filter(pk=account_id).first())
    if account is None or account.status not in FEE_STATES:
        return 0
    posted = 0
    for fee in (PeriodicFeeCharge.objects.select_for_update()
                .filter(account=account, event=EVENT, status=PeriodicFeeCharge.Status.UNPAID)
                .order_by("period_start")):
        posted += _post(fee, account, business_date)
    for month in months_due(account, business_date):
        priced = policy.periodic_fee_for(account, EVENT, month_end(month))
        fee = PeriodicFeeCharge(account=account, event=EVENT, period_start=month, currency_id=account.currency_id,
                                business_date=business_date, status=PeriodicFeeCharge.Status.FREE)
        if priced is not None:
            fee.status = PeriodicFeeCharge.Status.UNPAID
            fee.amount, fee.code, fee.description = priced.amount, priced.code, priced.description[:200]
            fee.details = to_jsonable(priced.details)
        fee.save()
        if priced is not None:
            posted += _post(fee, account, business_date)
    return posted


def _post(fee: PeriodicFeeCharge, account: Account, business_date: dt.date) -> int:
    """Post one priced fee; 1 when it posted, 0 when the account cannot pay it (stays unpaid)."""
    period = f"{fee.period_start:%Y-%m}"
    amount = quantize(fee.amount, account.currency.exponent)
    income = booking_account(BookingAccount.Purpose.FEE_INCOME, fee.currency_id)
    try:
        with transaction.atomic():
            result = ledger.entry_post(
                postings=[Leg(account.ledger_account_id, amount), Leg(income.pk, -amount)],
                idempotency_key=fee_key(account.pk, fee.period_start), kind=EntryKind.TRANSFER,
                external_ref=f"FEE-{account.number}-{period}",
                description=f"{fee.description or 'Monthly account maintenance fee'} {period}"[:500],
                metadata={"fee": {"event": fee.event, "period": period, "code": fee.code,
                                  "amount": str(amount), "currency": fee.currency_id}},
                value_date=business_date,
            )
    except ledger_exc.InsufficientFunds:
        return 0
    fee.status = PeriodicFeeCharge.Status.CHARGED
    fee.entry_id = result.entry_id
    fee.charged_on = business_date
    fee.save(update_fields=["status", "entry", "charged_on", "updated_at"])
    return 1


PERIODIC_FEES = Step(name="fees.periodic", label="Charge periodic fees", population=population, run=charge)
