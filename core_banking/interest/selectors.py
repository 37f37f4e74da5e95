"""Interest reads: the rate version in force, a schedule as pure ``calc`` terms, end-of-day
balances of a chunk of accounts in one query, and an account's interest accrued to date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, Sum
from django.utils import timezone

from core_banking.accounts.exceptions import AccountNotFound
from core_banking.accounts.models import Account
from core_banking.common.money import quantize
from core_banking.ledger.selectors import business_date_cutoff

from . import calc
from .models import InterestAccrual, InterestCapitalisation, InterestRate, InterestRateSchedule, InterestRateTier


def rate_for(schedule: InterestRateSchedule | int, day: dt.date) -> InterestRate:
    """The version of ``schedule`` in force on ``day`` (the latest with ``effective_from <= day``),
    with its tiers prefetched. Raises ``calc.NoRateInForce`` when none has started yet."""
    schedule_id = schedule if isinstance(schedule, int) else schedule.pk
    version = (
        InterestRate.objects.filter(schedule_id=schedule_id, effective_from__lte=day)
        .prefetch_related(Prefetch("tiers", queryset=InterestRateTier.objects.order_by("from_balance")))
        .order_by("-effective_from").first()
    )
    if version is None:
        raise calc.NoRateInForce(f"no interest rate of schedule {schedule_id} is in force on {day.isoformat()}",
                                 schedule=schedule_id, date=day.isoformat())
    return version


def as_rate_version(version: InterestRate) -> calc.RateVersion:
    return calc.RateVersion(
        effective_from=version.effective_from, credit_rate=version.credit_rate, debit_rate=version.debit_rate,
        tiers=tuple(calc.Tier(from_balance=t.from_balance, rate=t.rate) for t in version.tiers.all()),
    )


def schedule_terms(schedule: InterestRateSchedule) -> calc.RateSchedule:
    """Every version of the schedule (with tiers) as pure terms: two queries, then the end of day
    computes any number of accounts and days without the database."""
    versions = (InterestRate.objects.filter(schedule_id=schedule.pk)
                .prefetch_related(Prefetch("tiers", queryset=InterestRateTier.objects.order_by("from_balance")))
                .order_by("effective_from"))
    return calc.RateSchedule(
        versions=tuple(as_rate_version(v) for v in versions), tier_mode=calc.TierMode(schedule.tier_mode),
        minimum_balance=schedule.minimum_balance, withholding_tax_rate=schedule.withholding_tax_rate,
    )


def version_ids(schedule: InterestRateSchedule) -> dict[dt.date, int]:
    """effective_from -> id of each version, to link accrual rows to the version they used."""
    return dict(InterestRate.objects.filter(schedule_id=schedule.pk).values_list("effective_from", "id"))


_EOD_BALANCES_SQL = """
SELECT a.id, COALESCE(SUM(p.balance_after), 0)
FROM accounts_account a
LEFT JOIN LATERAL (
    SELECT DISTINCT ON (lp.shard) lp.balance_after
    FROM ledger_posting lp
    WHERE lp.account_id = a.ledger_account_id AND lp.posted_at <= %s
    ORDER BY lp.shard, lp.posted_at DESC
) p ON true
WHERE a.id = ANY(%s)
GROUP BY a.id
"""


def end_of_day_balances(account_ids: Sequence[int], business_date: dt.date) -> dict[int, Decimal]:
    """Posted balance (normal orientation) of each account at the close of ``business_date``
    (``business_date_cutoff``; now while the date is still open), in one query for the chunk:
    per shard, the ``balance_after`` of the last posting at or before the cutoff (index
    ``ledger_posting_position``). PostgreSQL only."""
    if not account_ids:
        return {}
    cutoff = business_date_cutoff(business_date) or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_EOD_BALANCES_SQL, [cutoff, list(account_ids)])
        return {account_id: Decimal(balance) for account_id, balance in cursor.fetchall()}


def accruals_in_period(account_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, list[InterestAccrual]]:
    """The accrual rows of each account for ``[start, end)``, in date order."""
    rows: dict[int, list[InterestAccrual]] = {account_id: [] for account_id in account_ids}
    for row in InterestAccrual.objects.filter(account_id__in=account_ids, business_date__gte=start,
                                              business_date__lt=end).order_by("account_id", "business_date"):
        rows[row.account_id].append(row)
    return rows


@dataclass(frozen=True, slots=True)
class AccruedInterest:
    """An account's interest of the period not capitalised yet, and its last capitalisations."""

    account_id: int
    currency: str
    schedule: str | None  # the code of the schedule of the period to date
    period_start: dt.date | None
    accrued_through: dt.date | None  # the last day accrued
    accrued: Decimal  # unrounded running total (18 places)
    accrued_rounded: Decimal  # what the ledger holds for it: the running total rounded once
    capitalisations: list[InterestCapitalisation]


def accrued_interest(account_id: int, *, capitalisations: int = 12) -> AccruedInterest:
    """Period to date: the last accrual row's cumulative (unrounded) and the sum of the period's
    ``posted`` (its cumulative rounded once), unless that period is already capitalised; with the
    account's last ``capitalisations``, newest first."""
    account = Account.objects.select_related("currency").filter(pk=account_id).first()
    if account is None:
        raise AccountNotFound(f"account {account_id} does not exist")
    exponent = account.currency.exponent
    last = (InterestAccrual.objects.filter(account_id=account_id).select_related("schedule")
            .order_by("-business_date").first())
    history = list(InterestCapitalisation.objects.filter(account_id=account_id)
                   .select_related("schedule", "account__currency")
                   .order_by("-period_start", "-id")[:capitalisations])
    open_period = last is not None and not InterestCapitalisation.objects.filter(
        account_id=account_id, schedule_id=last.schedule_id, period_start=last.period_start).exists()
    if not open_period:
        zero = quantize(Decimal(0), exponent)
        return AccruedInterest(account_id=account_id, currency=account.currency_id, schedule=None,
                               period_start=None, accrued_through=None, accrued=Decimal(0), accrued_rounded=zero,
                               capitalisations=history)
    rounded = (InterestAccrual.objects.filter(account_id=account_id, schedule_id=last.schedule_id,
                                              period_start=last.period_start)
               .aggregate(total=Sum("posted", default=Decimal(0)))["total"])
    return AccruedInterest(account_id=account_id, currency=account.currency_id, schedule=last.schedule.code,
                           period_start=last.period_start, accrued_through=last.business_date,
                           accrued=last.cumulative, accrued_rounded=quantize(rounded, exponent),
                           capitalisations=history)
