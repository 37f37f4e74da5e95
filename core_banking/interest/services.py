"""Interest writes: the day's accrual rows for a chunk of accounts, in one statement.

How the end of day (a later increment) calls this app, per business date ``D``:

1. For each active ``InterestRateSchedule`` load its terms once:
   ``terms = selectors.schedule_terms(schedule)`` (all versions and tiers, two queries).
2. Take the accounts the schedule applies to (same currency as the schedule; open states) in
   chunks of a few thousand ids; for each chunk read the end-of-day balances in one query,
   ``balances = selectors.end_of_day_balances(ids, D)``, and call
   ``record_accruals(schedule=schedule, business_date=D, balances=balances, terms=terms)``: one
   INSERT for the chunk, ``ON CONFLICT DO NOTHING`` on (account, business date), so a rerun of the
   day (or of a chunk after a crash) writes nothing twice. Chunks are independent: one Celery
   task per chunk.
3. Post the day's total per schedule and currency to the ledger: debit interest expense, credit
   the accrued-interest payable account (for negative sums: debit accrued-interest receivable,
   credit interest income), with an idempotency key per (schedule, date, chunk).
4. When ``calc.is_period_end(schedule.capitalisation_frequency, D)``: for each account,
   ``period_capitalisation(...)`` rounds the period's rows once (``calc.capitalise``) and the
   posting increment moves ``interest`` out of accrued interest, ``net`` to the customer's account
   and ``withholding_tax`` to the tax-payable account; the rounding difference between the sum of
   rounded capitalisations and the accrued balance goes to interest expense.

Days without an end of day (weekends, holidays) still accrue: the end of day of the next
business date passes each calendar day since the last run, with the balance at its close (a
skipped date's close is the previous open day's, ``business_date_cutoff``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, localcontext

from django.db import transaction

from core_banking.common.money import quantize, to_decimal

from . import calc, selectors
from .models import InterestAccrual, InterestRateSchedule

# The ledger's storage precision (AMOUNT): accrual rows keep 18 decimal places.
STORAGE_EXPONENT = 18


def record_accruals(*, schedule: InterestRateSchedule, business_date: dt.date, balances: Mapping[int, Decimal],
                    terms: calc.RateSchedule | None = None, period_start: dt.date | None = None) -> int:
    """Write one ``InterestAccrual`` per account of ``balances`` (account id -> end-of-day balance
    on ``business_date``, normal orientation) in one INSERT; existing rows are left alone.

    ``period_start`` is the first day of the capitalisation period (default: from the schedule's
    frequency); it anchors the 30/360 daily factor and, on the average-daily-balance basis, the
    days averaged (the period's earlier rows give their end-of-day balances). Returns the number
    of rows offered (an inactive schedule writes none).
    """
    if not schedule.is_active or not balances:
        return 0
    terms = terms or selectors.schedule_terms(schedule)
    version = terms.version_on(business_date)
    version_id = selectors.version_ids(schedule)[version.effective_from]
    convention = schedule.convention
    if period_start is None:
        period_start = calc.period_bounds(schedule.capitalisation_frequency, business_date)[0]
    average = schedule.accrual_basis == calc.AccrualBasis.AVERAGE_DAILY
    earlier = selectors.accruals_in_period(list(balances), period_start, business_date) if average else {}
    rows = []
    for account_id, eod_balance in balances.items():
        eod_balance = to_decimal(eod_balance)
        if average:
            prior = earlier.get(account_id, [])
            to_date = [(row.business_date, row.balance) for row in prior] + [(business_date, eod_balance)]
            with localcontext() as ctx:
                ctx.prec = calc.WORKING_PRECISION
                accrued_so_far = sum((row.amount for row in prior), Decimal(0))
            amount = calc.average_accrual_increment(to_date, accrued_so_far, terms, convention,
                                                    period_start=period_start)
            rate_basis = calc.average_daily_balance(b for _, b in to_date)
        else:
            amount = calc.accrue_daily(eod_balance, terms, business_date, convention, period_start=period_start)
            rate_basis = eod_balance
        rate = calc.effective_rate(rate_basis, version, tier_mode=terms.tier_mode,
                                   minimum_balance=terms.minimum_balance)
        rows.append(InterestAccrual(
            account_id=account_id, business_date=business_date, schedule=schedule, rate_version_id=version_id,
            balance=eod_balance, rate=quantize(rate, STORAGE_EXPONENT),
            amount=quantize(amount, STORAGE_EXPONENT), convention=convention,
        ))
    with transaction.atomic():
        InterestAccrual.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def period_capitalisation(*, account_id: int, schedule: InterestRateSchedule, start: dt.date, end: dt.date,
                          exponent: int) -> calc.Capitalisation:
    """Round the account's accruals of ``[start, end)`` once, withholding the schedule's tax on
    credit interest (``calc.capitalise``). Reads only; the posting increment books the result."""
    amounts = (InterestAccrual.objects.filter(account_id=account_id, schedule=schedule, business_date__gte=start,
                                              business_date__lt=end).values_list("amount", flat=True))
    return calc.capitalise(list(amounts), exponent, withholding_tax_rate=schedule.withholding_tax_rate)
