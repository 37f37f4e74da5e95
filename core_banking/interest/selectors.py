"""Interest reads: the rate version in force, a schedule as pure ``calc`` terms, and end-of-day
balances of a chunk of accounts in one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from core_banking.ledger.selectors import business_date_cutoff

from . import calc
from .models import InterestAccrual, InterestRate, InterestRateSchedule, InterestRateTier


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
