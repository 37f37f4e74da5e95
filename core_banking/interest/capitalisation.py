"""Capitalisation: at the end of each capitalisation period, the period's accrued interest is
rounded once and booked to the customer's account.

``capitalise_range(business_date=D, first_id, last_id)`` finds, for the accounts of the chunk,
every (account, schedule, period) whose last day is on or before ``D``, that has accrual rows and
no ``InterestCapitalisation`` yet; for each, in its own transaction:

* ``interest = sum(posted)`` of the period's rows: the period's unrounded cumulative rounded once
  (half away from zero, as the accrual rounded it), which is exactly what the accrual entries
  moved into the accrued-interest GL accounts for this account;
* ``withholding_tax`` and ``net = interest - withholding_tax`` by ``calc.capitalise``'s rules
  (tax on credit interest only, rounded half-even at the currency's exponent);
* one journal entry, idempotency key ``interest:capitalise:<account>:<period start>``, value
  date the period's last day: Dr accrued interest payable by the period's positive ``posted``,
  Cr accrued interest receivable by its negative ``posted``, the customer's account credited
  ``net`` (debited when negative: debit interest), withholding tax payable credited ``tax``;
* the ``InterestCapitalisation`` row, with the entry.

The entry goes straight to the ledger (the engine's system path, as deposits and loans book
interest): the account's lifecycle status is the customer's restriction, not the bank's, so a
frozen, blocked or dormant account still receives (or pays) its interest. The ledger's own
rules still hold: an account whose debit interest would take it below its overdraft limit is
refused (``insufficient_funds``); such accounts are skipped, the others commit, and the chunk
ends with ``CapitalisationFailed`` naming them (a rerun retries exactly those, once funded or
the limit raised).

Which rows are looked at: those of the periods of the chunk's schedules that end in ``(previous
closed business date, D]`` or, to retry failures, in the period of the previous closed date:
``period_start(previous closed date) <= business_date < period_start(D + 1)``; on a day that is
no period end that range is empty and the chunk costs one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum

from core_banking.accounts.models import Account
from core_banking.common.errors import DomainError
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg

from . import calc
from .accrual import previous_closed_date
from .gl import interest_accounts
from .models import InterestAccrual, InterestCapitalisation, InterestRateSchedule

_ONE_DAY = dt.timedelta(days=1)
ZERO = Decimal(0)


class CapitalisationFailed(DomainError):
    code = "interest_capitalisation_failed"
    status = 422
    title = "Interest could not be capitalised on some accounts"


@dataclass(frozen=True, slots=True)
class Due:
    account_id: int
    schedule_id: int
    period_start: dt.date
    rows: int
    credit: Decimal  # sum of the positive posted
    debit: Decimal  # sum of the negative posted (<= 0)


def period_window(schedule: InterestRateSchedule, business_date: dt.date) -> tuple[dt.date, dt.date]:
    """``[lower, upper)`` of the accrual dates whose periods may be due (module docstring)."""
    previous = previous_closed_date(business_date) or business_date
    lower = calc.period_bounds(schedule.capitalisation_frequency, previous)[0]
    upper = calc.period_bounds(schedule.capitalisation_frequency, business_date + _ONE_DAY)[0]
    return lower, upper


def due_periods(*, business_date: dt.date, first_id: int, last_id: int,
                schedules: list[InterestRateSchedule] | None = None) -> list[Due]:
    schedules = schedules if schedules is not None else list(InterestRateSchedule.objects.order_by("id"))
    due: list[Due] = []
    done = InterestCapitalisation.objects.filter(account_id=OuterRef("account_id"), schedule_id=OuterRef("schedule_id"),
                                                 period_start=OuterRef("period_start"))
    for schedule in schedules:
        lower, upper = period_window(schedule, business_date)
        if lower >= upper:
            continue
        groups = (InterestAccrual.objects
                  .filter(account_id__gte=first_id, account_id__lte=last_id, schedule_id=schedule.pk,
                          business_date__gte=lower, business_date__lt=upper)
                  .filter(~Exists(done))
                  .values("account_id", "period_start")
                  .annotate(rows=Count("id"), credit=Sum("posted", filter=Q(posted__gt=0), default=ZERO),
                            debit=Sum("posted", filter=Q(posted__lt=0), default=ZERO))
                  .order_by("account_id", "period_start"))
        due.extend(Due(account_id=g["account_id"], schedule_id=schedule.pk, period_start=g["period_start"],
                       rows=g["rows"], credit=g["credit"], debit=g["debit"]) for g in groups)
    return due


def capitalise_range(*, business_date: dt.date, first_id: int, last_id: int) -> int:
    """Capitalise the chunk's due periods; returns how many were capitalised now."""
    schedules = {s.pk: s for s in InterestRateSchedule.objects.order_by("id")}
    due = due_periods(business_date=business_date, first_id=first_id, last_id=last_id,
                      schedules=list(schedules.values()))
    if not due:
        return 0
    accounts = Account.objects.select_related("ledger_account", "currency").in_bulk({d.account_id for d in due})
    done = 0
    failures: list[dict] = []
    for item in due:
        try:
            capitalise_one(item, account=accounts[item.account_id], schedule=schedules[item.schedule_id])
            done += 1
        except DomainError as error:
            failures.append({"account": item.account_id, "period_start": item.period_start.isoformat(),
                             "code": error.code, "detail": error.detail})
    if failures:
        raise CapitalisationFailed(
            f"{len(failures)} interest period(s) could not be capitalised on {business_date.isoformat()} "
            f"({done} were): " + "; ".join(f"{f['account']}/{f['period_start']}: {f['code']}" for f in failures),
            failures=failures, processed=done)
    return done


def capitalisation_legs(*, credit: Decimal, debit: Decimal, net: Decimal, tax: Decimal, customer_ledger_id: int,
                        customer_sign: int, currency: str) -> list[Leg]:
    """The legs (debit positive, credit negative) of one capitalisation; zero legs left out.
    ``customer_sign`` is the customer's ledger account's (-1 for a deposit, a liability)."""
    gl = interest_accounts(currency)
    legs = [
        (gl.payable.pk, credit),  # Dr accrued interest payable: the credit interest accrued
        (gl.receivable.pk, debit),  # Cr accrued interest receivable: the debit interest (debit <= 0)
        (customer_ledger_id, net * customer_sign),  # the customer's balance moves by net
        (gl.tax_payable.pk, -tax),  # Cr withholding tax payable
    ]
    return [Leg(account_id, amount, currency) for account_id, amount in legs if amount != 0]


def capitalise_one(item: Due, *, account: Account, schedule: InterestRateSchedule) -> InterestCapitalisation:
    exponent = account.currency.exponent
    with transaction.atomic():
        interest = item.credit + item.debit
        result = calc.capitalise([interest], exponent, withholding_tax_rate=schedule.withholding_tax_rate)
        period_end = calc.period_bounds(schedule.capitalisation_frequency, item.period_start)[1] - _ONE_DAY
        legs = capitalisation_legs(
            credit=item.credit, debit=item.debit, net=result.net, tax=result.withholding_tax,
            customer_ledger_id=account.ledger_account_id, customer_sign=account.ledger_account.sign,
            currency=account.currency_id)
        entry_id = None
        if legs:
            posted = ledger.entry_post(
                postings=legs, idempotency_key=f"interest:capitalise:{account.pk}:{item.period_start.isoformat()}",
                value_date=period_end,
                description=f"Interest {item.period_start.isoformat()} to {period_end.isoformat()} ({schedule.code})",
                metadata={"interest": "capitalisation", "account": account.pk, "schedule": schedule.code,
                          "period_start": item.period_start.isoformat(), "period_end": period_end.isoformat(),
                          "interest_amount": str(result.interest), "withholding_tax": str(result.withholding_tax),
                          "net": str(result.net)},
            )
            entry_id = posted.entry_id
        return InterestCapitalisation.objects.create(
            account=account, schedule=schedule, period_start=item.period_start, period_end=period_end,
            interest=result.interest, withholding_tax=result.withholding_tax, net=result.net, entry_id=entry_id,
        )
