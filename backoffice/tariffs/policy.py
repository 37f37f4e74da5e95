"""The fee policy the payments engine calls through ``CORE_BANKING_FEE_POLICY``
(``core_banking.payments.seams``): ``TARIFFS``, whose ``fees_for(intent, *, preview=False)`` is
``fees_for`` and whose ``give_back(payment, intent)`` gives a released payment's usage back.

How one fee is priced, for the account that pays it (``intent.fee_account``):

1. **Plan.** The customer's ``CustomerTariff`` valid on the business date, else the plan the
   account's product names in ``tariff_plan_code``. No code (a free product), an unknown code
   (a warning is logged: a configuration error) or an inactive plan: no fee.
2. **Version.** The plan's latest version with ``effective_from <= business date``; none: no fee.
3. **Rule.** The version's rule for the event on the payment's channel, else its any-channel
   rule; none: no fee.
4. **Usage.** A rule with a free allowance or volume tiers counts the account's events and
   volume (``FeeUsage``): with ``preview=False`` the counter row is created if missing
   (``INSERT ... ON CONFLICT DO NOTHING``), locked (``SELECT ... FOR UPDATE``) and incremented
   in the payment's transaction, so concurrent payments queue on it and exactly one of them can
   take the last free event; ``preview=True`` only reads it. Rows are locked day before month.
   Counting starts with the first event such a rule prices.
5. **Free allowance.** The first ``free_allowance_count`` events of the day or month are free.
6. **Arithmetic**, in the rule's fee currency, unrounded: the amount is converted into it at
   the mid rate; ``fixed + percentage x amount``, or with tiers the marginal bands described in
   ``models.py`` over the account's monthly volume before and after this payment (the volume
   is kept in the account's currency and converted at the mid rate too); raised to ``min_fee``
   and capped at ``max_fee``; converted into the account's currency
   (``core_banking.payments.selectors.fx_mid_convert``); then rounded **once**, half-even, to
   the account currency's exponent (``money.quantize``). A zero fee is no ``FeeCharge``. A fee
   that needs a conversion no rate exists for refuses the payment (``fx_rate_unavailable``)
   rather than charge nothing.

``FeeCharge.details`` carries the whole breakdown (plan, version, rule, fixed and percentage
parts, tiers, min/max, allowance, conversion rate).

When a payment is rejected or returned, the engine calls ``TARIFFS.give_back``, which takes back
the count and volume it added to the counters, once. The fee itself is not refunded here: a
rejected payment never posted, so its fee was never charged; a returned payment keeps its fee
(the engine does not refund fees on a return, the bank did the work). Only the usage is given
back, so the allowance is available again.

``periodic_fee_for(account, event, business_date)`` prices periodic events (monthly
maintenance) the same way, with no amount and the any-channel rule; the end of day calls it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from core_banking.accounts.models import Account
from core_banking.common.idempotency import ConcurrentChange
from core_banking.common.money import quantize
from core_banking.common.sqlbatch import Batch
from core_banking.payments.models import FeeEvent, Payment
from core_banking.payments.seams import FeeCharge, PaymentIntent
from core_banking.payments.selectors import fx_mid_convert

from . import services
from .config import tariff_config
from .models import (
    PERIODIC_EVENTS,
    CustomerTariff,
    FeeRule,
    FeeTier,
    FeeUsage,
    FeeUsageRecord,
    Period,
    TariffPlan,
    TariffVersion,
    period_start,
)

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
ONE = Decimal(1)


def fees_for(intent: PaymentIntent, *, preview: bool = False) -> list[FeeCharge]:
    """The fees of a payment, in the currency of the account charged (see the module doc)."""
    account = intent.fee_account
    if account is None:
        return []
    charge = _price(account=account, event=intent.event, channel=intent.channel, amount=intent.amount,
                    currency=intent.currency, business_date=intent.business_date, preview=preview,
                    payment=intent.payment)
    return [] if charge is None else [charge]


def periodic_fee_for(account: Account, event: str, business_date: dt.date, *,
                     preview: bool = False) -> FeeCharge | None:
    """The fee of a periodic event (``monthly_maintenance``) for ``account``, or None when
    nothing is due. Counts usage like a payment does when the rule has an allowance."""
    if event not in PERIODIC_EVENTS:
        raise ValueError(f"{event!r} is not a periodic fee event ({', '.join(sorted(PERIODIC_EVENTS))})")
    return _price(account=account, event=event, channel="", amount=ZERO, currency=account.currency_id,
                  business_date=business_date, preview=preview, payment=None)


class TariffPolicy:
    """What ``CORE_BANKING_FEE_POLICY`` names (``backoffice.tariffs.policy.TARIFFS``)."""

    def fees_for(self, intent: PaymentIntent, *, preview: bool = False) -> list[FeeCharge]:
        return fees_for(intent, preview=preview)

    def plan(self, intent: PaymentIntent, reads: Batch, writes: Batch) -> Callable[[], list[FeeCharge]]:
        """``fees_for`` in the payment path's round trips (``core_banking/payments/seams.py``): the
        counters the rule reads are locked and read with the other reads; the fee is priced from
        them; the increments and their records are written with the payment."""
        return plan_fees(intent, reads, writes)

    def give_back(self, payment: Payment, intent: PaymentIntent | None = None) -> None:
        """A rejected or returned payment: its usage goes back to the counters."""
        services.usage_give_back(payment=payment)


TARIFFS = TariffPolicy()


_USAGE_TABLE = FeeUsage._meta.db_table
_RECORD_TABLE = FeeUsageRecord._meta.db_table
_READ_USAGE = (f"SELECT id, count, volume FROM {_USAGE_TABLE}"
               " WHERE account_id = %s AND event = %s AND period = %s AND period_start = %s FOR UPDATE")
# The counter read under lock is incremented by id; one read as missing is created, and if a
# concurrent payment created it meanwhile nothing is inserted (no row back: run again).
_ADD_TO_USAGE = (f"WITH u AS (UPDATE {_USAGE_TABLE} SET count = count + 1, volume = volume + %s, updated_at = %s"
                 " WHERE id = %s RETURNING id)"
                 f" INSERT INTO {_RECORD_TABLE} (payment_id, usage_id, count, volume, created_at)"
                 " SELECT %s, u.id, 1, %s, %s FROM u RETURNING usage_id")
_CREATE_USAGE = (f"WITH u AS (INSERT INTO {_USAGE_TABLE} (account_id, event, period, period_start, count, volume,"
                 " updated_at) VALUES (%s, %s, %s, %s, 1, %s, %s) ON CONFLICT DO NOTHING RETURNING id)"
                 f" INSERT INTO {_RECORD_TABLE} (payment_id, usage_id, count, volume, created_at)"
                 " SELECT %s, u.id, 1, %s, %s FROM u RETURNING usage_id")


def plan_fees(intent: PaymentIntent, reads: Batch, writes: Batch) -> Callable[[], list[FeeCharge]]:
    """The batched ``fees_for`` of a payment being created (``intent.payment`` has its id). Its
    statements are PostgreSQL's; elsewhere (SQLite) the plain ``fees_for`` runs after the reads."""
    if connection.vendor != "postgresql":
        return lambda: fees_for(intent)
    account = intent.fee_account
    terms = None if account is None else _terms(account, intent.event, intent.channel, intent.business_date)
    if terms is None:
        return list
    periods = [(period, period_start(period, intent.business_date)) for period in terms.periods()]
    found = [reads.add(_READ_USAGE, [account.pk, intent.event, period, start]) for period, start in periods]

    def finish() -> list[FeeCharge]:
        volume = _volume(account, intent.amount, intent.currency)
        now = timezone.now()
        count_after: dict[str, int] = {}
        month_volume_before = ZERO
        written = []
        for (period, start), statement in zip(periods, found, strict=True):
            row = statement.one()
            count_before, volume_before = (row[1], row[2]) if row else (0, ZERO)
            count_after[period] = count_before + 1
            if period == Period.MONTH:
                month_volume_before = volume_before
            record = [intent.payment.pk, volume, now]
            written.append(writes.add(_ADD_TO_USAGE, [volume, now, row[0], *record]) if row else
                           writes.add(_CREATE_USAGE, [account.pk, intent.event, period, start, volume, now, *record]))

        def verify() -> None:
            if any(not statement.rows for statement in written):
                raise ConcurrentChange("a fee usage counter was created by a concurrent payment")

        writes.then(verify)
        usage = _Usage(count_after=count_after, month_volume_before=month_volume_before)
        charge = _charge(terms, usage, account=account, event=intent.event, amount=intent.amount,
                         currency=intent.currency, preview=False)
        return [] if charge is None else [charge]

    return finish


# --- pricing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    plan: TariffPlan
    override: CustomerTariff | None


@dataclass(frozen=True)
class _Usage:
    count_after: dict[str, int]  # per period kind: events in the period, this one included
    month_volume_before: Decimal  # account currency; 0 unless the month is counted


def _plan(account: Account, business_date: dt.date) -> _Plan | None:
    config = tariff_config()
    override = config.customer_override(account.customer_id, business_date)
    if override is not None:
        plan = override.plan
    else:
        code = account.product.tariff_plan_code
        if not code:
            # A product without a plan is free by design (e.g. a savings product): not a warning.
            logger.debug("No fee for account %s: product %s names no tariff plan", account.pk,
                         account.product.code)
            return None
        plan = config.plans_by_code.get(code)
        if plan is None:
            logger.warning("No fee for account %s: product %s names tariff plan %r, which does not exist",
                           account.pk, account.product.code, code)
            return None
    if not plan.is_active:
        logger.info("No fee for account %s: tariff plan %s is inactive", account.pk, plan.code)
        return None
    return _Plan(plan=plan, override=override)


@dataclass(frozen=True)
class _Terms:
    """What prices one event for one account: the plan, its version and rule in force."""

    resolved: _Plan
    version: TariffVersion
    rule: FeeRule
    tiers: list[FeeTier]

    def periods(self) -> list[str]:
        """The usage counters the rule reads, "day" before "month" (one lock order for all)."""
        periods = set()
        if self.rule.free_allowance_count:
            periods.add(self.rule.allowance_period)
        if self.tiers:
            periods.add(Period.MONTH.value)
        return sorted(periods)


def _terms(account: Account, event: str, channel: str, business_date: dt.date) -> _Terms | None:
    resolved = _plan(account, business_date)
    if resolved is None:
        return None
    config = tariff_config()
    version = config.version_in_force(resolved.plan, business_date)
    if version is None:
        return None
    rule = config.rule_for(version, event, channel)
    if rule is None:
        return None
    return _Terms(resolved=resolved, version=version, rule=rule, tiers=rule.sorted_tiers())


def _volume(account: Account, amount: Decimal, currency: str) -> Decimal:
    """The payment's amount in the account's currency, as the volume counter keeps it."""
    account_currency = account.currency
    return amount if currency == account_currency.code else quantize(
        fx_mid_convert(amount=amount, from_currency=currency, to_currency=account_currency.code),
        account_currency.exponent)


def _price(*, account: Account, event: str, channel: str, amount: Decimal, currency: str,
           business_date: dt.date, preview: bool, payment: Payment | None) -> FeeCharge | None:
    terms = _terms(account, event, channel, business_date)
    if terms is None:
        return None
    usage = _usage(account=account, event=event, periods=terms.periods(), business_date=business_date,
                   volume=_volume(account, amount, currency), preview=preview, payment=payment)
    return _charge(terms, usage, account=account, event=event, amount=amount, currency=currency, preview=preview)


def _charge(terms: _Terms, usage: _Usage, *, account: Account, event: str, amount: Decimal, currency: str,
            preview: bool) -> FeeCharge | None:
    """The fee of one event under ``terms``, given the usage counted with it (module doc, 5-6)."""
    resolved, version, rule, tiers = terms.resolved, terms.version, terms.rule, terms.tiers
    account_currency = account.currency
    details: dict[str, Any] = {
        "plan": resolved.plan.code,
        "plan_source": "customer" if resolved.override is not None else "product",
        "customer_tariff_id": resolved.override.pk if resolved.override is not None else None,
        "version_id": version.pk,
        "version_effective_from": version.effective_from.isoformat(),
        "rule_id": rule.pk,
        "event": event,
        "channel": rule.channel or "any",
        "fee_currency": rule.currency_id,
        "preview": preview,
    }
    if rule.free_allowance_count:
        used = usage.count_after[rule.allowance_period]
        free = used <= rule.free_allowance_count
        details["allowance"] = {"free_count": rule.free_allowance_count, "period": rule.allowance_period,
                                "used": used, "free": free}
        if free:
            return None

    amount_in_fee = _convert(amount, currency, rule.currency_id, details, "amount_rate")
    details["amount_in_fee_currency"] = _text(amount_in_fee)
    if tiers:
        before = _convert(usage.month_volume_before, account_currency.code, rule.currency_id, details, "volume_rate")
        fixed, percentage_part = _tiered(rule, tiers, before, before + amount_in_fee, details)
    else:
        fixed, percentage_part = rule.fixed_amount, amount_in_fee * rule.percentage
        details["percentage"] = _text(rule.percentage)
    subtotal = fixed + percentage_part
    fee = subtotal
    min_applied = fee < rule.min_fee
    if min_applied:
        fee = rule.min_fee
    max_applied = rule.max_fee is not None and fee > rule.max_fee
    if max_applied:
        fee = rule.max_fee
    details.update({
        "fixed": _text(fixed), "percentage_part": _text(percentage_part), "subtotal": _text(subtotal),
        "min_fee": _text(rule.min_fee), "max_fee": None if rule.max_fee is None else _text(rule.max_fee),
        "min_applied": min_applied, "max_applied": max_applied, "fee_in_fee_currency": _text(fee),
    })
    charged = quantize(_convert(fee, rule.currency_id, account_currency.code, details, "conversion_rate"),
                       account_currency.exponent)
    if charged == 0:
        return None
    details["amount"] = str(charged)
    return FeeCharge(
        code=f"{resolved.plan.code}/{event}", amount=charged, currency=account_currency.code,
        description=rule.description or f"{FeeEvent(event).label} fee", details=details,
    )


def _text(value: Decimal) -> str:
    """An exact decimal without trailing zeros (columns carry 18 places): "0.2", not "0.200000000000000000"."""
    return format(value.normalize(), "f") if value else "0"


def _convert(amount: Decimal, from_currency: str, to_currency: str, details: dict, key: str) -> Decimal:
    """``amount`` in ``to_currency`` at the mid rate, unrounded; the rate goes into the details.
    ``fx_mid_convert`` of 1 is the mid rate; multiplying by it is what ``fx_mid_convert`` does."""
    if from_currency == to_currency:
        return amount
    rate = fx_mid_convert(amount=ONE, from_currency=from_currency, to_currency=to_currency)
    details[key] = {"from": from_currency, "to": to_currency, "mid_rate": _text(rate)}
    return amount * rate


def _tiered(rule: FeeRule, tiers: list[FeeTier], start: Decimal, end: Decimal,
            details: dict) -> tuple[Decimal, Decimal]:
    """Marginal banding of the payment's slice [start, end) of the month's cumulative volume:
    each band's percentage on the part of the slice inside it; the fixed amount of the band
    ``end`` reaches (the highest ``from_volume <= end``). Band 0 is the rule's own terms."""
    bands = [(ZERO, rule.percentage, rule.fixed_amount), *((t.from_volume, t.percentage, t.fixed_amount)
                                                           for t in tiers)]
    percentage_part, parts = ZERO, []
    for i, (low, percentage, _fixed) in enumerate(bands):
        high = bands[i + 1][0] if i + 1 < len(bands) else None
        portion = (end if high is None else min(end, high)) - max(start, low)
        if portion > 0:
            part = portion * percentage
            percentage_part += part
            parts.append({"from_volume": _text(low), "percentage": _text(percentage), "portion": _text(portion),
                          "part": _text(part)})
    fixed_band = max((band for band in bands if band[0] <= end), key=lambda band: band[0])
    details["tiers"] = {"volume_before": _text(start), "volume_after": _text(end), "bands": parts,
                        "fixed_band_from": _text(fixed_band[0])}
    return fixed_band[2], percentage_part


# --- usage counters ------------------------------------------------------------------------


def _usage(*, account: Account, event: str, periods: list[str], business_date: dt.date,
           volume: Decimal, preview: bool, payment: Payment | None) -> _Usage:
    """Read (preview) or take (lock and increment) the counters of ``periods``, in that order."""
    count_after: dict[str, int] = {}
    month_volume_before = ZERO
    for period in periods:
        start = period_start(period, business_date)
        if preview:
            row = FeeUsage.objects.filter(account=account, event=event, period=period, period_start=start).first()
            count_before, volume_before = (row.count, row.volume) if row else (0, ZERO)
        else:
            count_before, volume_before = _take(account, event, period, start, volume, payment)
        count_after[period] = count_before + 1
        if period == Period.MONTH:
            month_volume_before = volume_before
    return _Usage(count_after=count_after, month_volume_before=month_volume_before)


def _take(account: Account, event: str, period: str, start: dt.date, volume: Decimal,
          payment: Payment | None) -> tuple[int, Decimal]:
    """Add one event and its volume to the counter and return the values before, in one upsert:
    the row is created if missing and locked by the update until the payment commits, so
    concurrent payments count one after the other."""
    table = connection.ops.quote_name(FeeUsage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, event, period, period_start, count, volume, updated_at) "
            "VALUES (%s, %s, %s, %s, 1, %s, %s) "
            "ON CONFLICT (account_id, event, period, period_start) DO UPDATE "
            f"SET count = {table}.count + 1, volume = {table}.volume + EXCLUDED.volume, "
            "updated_at = EXCLUDED.updated_at "
            "RETURNING id, count, volume",
            [account.pk, event, period, start, volume, timezone.now()],
        )
        usage_id, count_after, volume_after = cursor.fetchone()
    if payment is not None and payment.pk is not None:
        FeeUsageRecord.objects.create(payment=payment, usage_id=usage_id, count=1, volume=volume)
    # Read back the way the ORM reads the column (exact on PostgreSQL; SQLite, the demo database,
    # hands numerics back as floats, which the field converts as it does for every ORM read).
    return count_after - 1, FeeUsage._meta.get_field("volume").to_python(volume_after) - volume
