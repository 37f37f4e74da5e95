"""Interest writes: rate versions, and the day's accrual rows for given balances.

The end of day itself is ``eod`` (``accrual`` and ``capitalisation``): set-based over chunks of
accounts, reading their balances from the ledger and posting. ``record_accruals`` below is the
building block for balances the caller already has (one day, one schedule); it fills the same
running totals (``cumulative`` and ``posted``) but posts nothing. The original plan, per
business date ``D``:

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
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db import transaction

from core_banking.common.actors import user_or_none
from core_banking.common.errors import NotFound, PermissionRefused
from core_banking.common.money import quantize, to_decimal
from core_banking.ledger.selectors import business_date_current

from . import calc, selectors
from .models import InterestAccrual, InterestRate, InterestRateSchedule, InterestRateTier

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
    earlier = selectors.accruals_in_period(list(balances), period_start, business_date)
    exponent = schedule.currency.exponent
    rows = []
    for account_id, eod_balance in balances.items():
        eod_balance = to_decimal(eod_balance)
        prior = earlier.get(account_id, [])
        with localcontext() as ctx:
            ctx.prec = calc.WORKING_PRECISION
            accrued_so_far = sum((row.amount for row in prior), Decimal(0))
        if average:
            to_date = [(row.business_date, row.balance) for row in prior] + [(business_date, eod_balance)]
            amount = calc.average_accrual_increment(to_date, accrued_so_far, terms, convention,
                                                    period_start=period_start)
            rate_basis = calc.average_daily_balance(b for _, b in to_date)
        else:
            amount = calc.accrue_daily(eod_balance, terms, business_date, convention, period_start=period_start)
            rate_basis = eod_balance
        rate = calc.effective_rate(rate_basis, version, tier_mode=terms.tier_mode,
                                   minimum_balance=terms.minimum_balance)
        amount = quantize(amount, STORAGE_EXPONENT)
        with localcontext() as ctx:
            ctx.prec = calc.WORKING_PRECISION
            cumulative = accrued_so_far + amount
            posted = (quantize(cumulative, exponent, rounding=ROUND_HALF_UP)
                      - quantize(cumulative - amount, exponent, rounding=ROUND_HALF_UP))
        rows.append(InterestAccrual(
            account_id=account_id, business_date=business_date, schedule=schedule, rate_version_id=version_id,
            balance=eod_balance, rate=quantize(rate, STORAGE_EXPONENT), amount=amount, convention=convention,
            period_start=period_start, cumulative=cumulative, posted=posted,
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


# --- rate versions -------------------------------------------------------------------------------

ADD_RATE_PERMISSION = "interest.add_interestrate"


class ScheduleNotFound(NotFound):
    code = "interest_schedule_not_found"
    title = "No such interest rate schedule"


def _require_perm(actor, permission: str) -> None:
    """A signed-in person or API client needs the permission; the system (no actor) acts freely."""
    user = user_or_none(actor)
    if user is not None and not user.has_perm(permission):
        raise PermissionRefused(f"you lack the permission {permission}", permission=permission)


@transaction.atomic
def rate_version_create(*, schedule_id: int, effective_from: dt.date, credit_rate: Decimal,
                        debit_rate: Decimal = Decimal(0), tiers: Sequence[Mapping] = (), note: str = "",
                        actor=None) -> InterestRate:
    """A new rate version of a schedule, in force from ``effective_from`` (the open business date
    or later: days up to the last closed business date may already be accrued and are never
    re-priced). Tiers are ``{"from_balance", "rate"}`` credit bands (``calc``)."""
    _require_perm(actor, ADD_RATE_PERMISSION)
    schedule = InterestRateSchedule.objects.select_for_update().filter(pk=schedule_id).first()
    if schedule is None:
        raise ScheduleNotFound(f"interest rate schedule {schedule_id} does not exist")
    opening = business_date_current()
    if effective_from < opening:
        raise calc.InvalidRate(f"a new version starts on the open business date ({opening.isoformat()}) or later, "
                               f"not {effective_from.isoformat()}", field="effective_from")
    if InterestRate.objects.filter(schedule=schedule, effective_from=effective_from).exists():
        raise calc.InvalidRate(f"schedule {schedule.code} already has a version from {effective_from.isoformat()}",
                               field="effective_from")
    candidate = calc.RateVersion(  # validates the rates and the tiers (raises InvalidRate)
        effective_from=effective_from, credit_rate=credit_rate, debit_rate=debit_rate,
        tiers=tuple(calc.Tier(from_balance=t["from_balance"], rate=t["rate"]) for t in tiers),
    )
    version = InterestRate.objects.create(schedule=schedule, effective_from=effective_from,
                                          credit_rate=candidate.credit_rate, debit_rate=candidate.debit_rate,
                                          note=note, created_by=user_or_none(actor))
    InterestRateTier.objects.bulk_create(InterestRateTier(rate_version=version, from_balance=t.from_balance,
                                                          rate=t.rate) for t in candidate.tiers)
    return version
