"""The payment check that enforces limits, and the give-back of a released payment's usage:
``LIMITS``, plugged into ``CORE_BANKING_PAYMENT_CHECKS`` (``check`` is ``enforce``, ``give_back``
is ``give_back``). The semantics are in ``models``.

``enforce(intent)`` runs inside the payment's transaction. It refuses a payment by raising
``LimitExceeded`` (HTTP 422, code ``limit_exceeded``) that names the limit and what remains of
it; it never asks for a review. Concurrency: the usage counter row is the lock. For each counter
the payment touches, in one deterministic order (scope kind, scope id, channel, period, period
start, currency), one statement

    INSERT ... ON CONFLICT (<key>) DO UPDATE SET amount = amount + new, count = count + 1
        WHERE amount + new <= <amount limit> AND count + 1 <= <count limit> RETURNING id

creates the counter or locks it and adds the payment only if the limit still holds, evaluated on
the latest committed row. Two concurrent payments therefore never exceed a limit together: the
second waits for the first's transaction and then sees its usage. All counters are taken in the
same order by every payment (and by the give-back), so payments cannot deadlock on them. A
refusal rolls back what this check added (it runs in a savepoint), whatever the caller does.

Conversion: a payment in another currency than a limit's is converted at the FX mid rate
(``fx_mid_convert``) and rounded **up** once to the limit currency's exponent (``ROUND_UP``;
rounding never lets a payment slip under a limit). Without a rate the payment is refused with
the FX error (``fx_rate_unavailable``): a limit is never skipped.

Every counter a payment adds to is recorded (``LimitUsageRecord``) when the intent carries the
saved payment, as it always does in the engine; when the engine gives a payment back (a held
payment rejected, a posted one returned: ``LIMITS.give_back``) ``give_back`` subtracts exactly
those amounts and counts, never below zero, and marks them released (so a second release gives
nothing back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from core_banking.accounts.models import Account
from core_banking.common.idempotency import ConcurrentChange
from core_banking.common.money import quantize
from core_banking.common.sqlbatch import Batch
from core_banking.payments.models import Channel, Payment
from core_banking.payments.seams import PaymentIntent, Review
from core_banking.payments.selectors import fx_mid_convert

from .exceptions import LimitExceeded
from .models import LIMITED_KINDS, LimitUsage, LimitUsageRecord, ScopeKind
from .selectors import CounterKey, Limit, effective_limits, usage_for

__all__ = ["LIMITS", "LimitExceeded", "LimitsCheck", "enforce", "give_back", "plan"]

LABELS = {
    "max_single_amount": "single-payment limit",
    "daily_amount": "daily amount limit",
    "daily_count": "daily number of payments",
    "monthly_amount": "monthly amount limit",
    "monthly_count": "monthly number of payments",
}


@dataclass
class _Counter:
    """The limits measured by one counter: at most one amount and one count limit."""

    amount: Limit | None = None
    count: Limit | None = None


def _counters(intent: PaymentIntent) -> tuple[dict[CounterKey, _Counter], dict[str, Decimal]] | None:
    """The counters the payment adds to (with the limits on each) and its amount per limit
    currency; refuses (``LimitExceeded``) a payment above a single-payment limit. None when no
    limit applies."""
    if intent.kind not in LIMITED_KINDS or intent.debtor is None:
        return None
    limits = effective_limits(intent.debtor, intent.channel)
    if not limits:
        return None
    amounts: dict[str, Decimal] = {}

    def amount_in(limit: Limit) -> Decimal:
        if limit.currency not in amounts:
            converted = fx_mid_convert(amount=intent.amount, from_currency=intent.currency,
                                       to_currency=limit.currency)
            amounts[limit.currency] = quantize(converted, limit.exponent, rounding=ROUND_UP)
        return amounts[limit.currency]

    counters: dict[CounterKey, _Counter] = {}
    for limit in limits:
        amount = amount_in(limit)
        if limit.period is None:
            if amount > limit.value:
                raise _exceeded(limit, intent, amount=amount, used=None)
            continue
        counter = counters.setdefault(limit.counter_key(intent.business_date), _Counter())
        if limit.is_count:
            counter.count = limit
        else:
            counter.amount = limit
    return counters, amounts


def enforce(intent: PaymentIntent) -> Review | None:
    """Refuse the payment (``LimitExceeded``) if it would exceed a limit of its debtor account or
    customer; otherwise count it against every periodic limit and let it through (None)."""
    found = _counters(intent)
    if found is None:
        return None
    counters, amounts = found
    with transaction.atomic():  # a refusal takes back what earlier counters took
        consumed: list[tuple[int, Decimal]] = []
        for key in sorted(counters):
            counter = counters[key]
            amount = amounts[key[5]]
            usage_id = _consume(key, amount, counter)
            if usage_id is None:
                raise _refusal(key, counter, intent, amount)
            consumed.append((usage_id, amount))
        if consumed and intent.payment is not None:
            LimitUsageRecord.objects.bulk_create(
                [LimitUsageRecord(payment=intent.payment, usage_id=usage_id, amount=amount, count=1)
                 for usage_id, amount in consumed])
    return None


_USAGE = LimitUsage._meta.db_table
_RECORDS = LimitUsageRecord._meta.db_table
_KEY = "scope_kind, scope_id, channel, period, period_start, currency_id"
_KEY_TYPES = "%s::varchar[], %s::bigint[], %s::varchar[], %s::varchar[], %s::date[], %s::varchar[]"
# Every counter of the payment locked and read in one statement, in the one order every payment
# and the give-back take them (the keys' sorted order).
_READ_COUNTERS = (
    f"SELECT k.ord, u.id, u.amount, u.count FROM unnest({_KEY_TYPES}) WITH ORDINALITY AS k({_KEY}, ord)"
    f" JOIN {_USAGE} u USING ({_KEY}) ORDER BY k.ord FOR UPDATE OF u"
)
# ... and every one added to in one statement with its records: a counter read under lock by id,
# one read as missing created (if a concurrent payment created it meanwhile, nothing is inserted
# for it and fewer records come back: run again).
_ADD_TO_COUNTERS = (
    f"WITH k AS (SELECT * FROM unnest(%s::bigint[], {_KEY_TYPES}, %s::numeric[]) WITH ORDINALITY"
    f"           AS k(id, {_KEY}, amount, ord)),"
    f" up AS (UPDATE {_USAGE} u SET amount = u.amount + k.amount, count = u.count + 1, updated_at = %s"
    f"        FROM k WHERE u.id = k.id RETURNING u.id, k.amount),"
    f" ins AS (INSERT INTO {_USAGE} ({_KEY}, amount, count, updated_at)"
    f"         SELECT {_KEY}, amount, 1, %s FROM k WHERE k.id IS NULL ORDER BY k.ord"
    f"         ON CONFLICT DO NOTHING RETURNING id, amount)"
    f" INSERT INTO {_RECORDS} (payment_id, usage_id, amount, count, created_at)"
    f" SELECT %s, w.id, w.amount, 1, %s FROM (SELECT * FROM up UNION ALL SELECT * FROM ins) AS w RETURNING usage_id"
)


def plan(intent: PaymentIntent, reads: Batch, writes: Batch) -> Callable[[], Review | None]:
    """``enforce`` in the payment path's round trips (``core_banking/payments/seams.py``): the
    counters are locked and read with the other reads; a payment over a limit is refused from
    what was read, before anything is written; the additions and their records are written with
    the payment, in one statement. Its statements are PostgreSQL's; elsewhere (SQLite) the plain
    ``enforce`` runs after the reads."""
    if connection.vendor != "postgresql":
        return lambda: enforce(intent)
    found = _counters(intent)
    if found is None or not found[0]:
        return lambda: None
    counters, amounts = found
    keys = sorted(counters)
    read = reads.add(_READ_COUNTERS, [list(column) for column in zip(*keys, strict=True)])

    def finish() -> Review | None:
        by_position = {row[0]: row[1:] for row in read.rows}
        ids = []
        for position, key in enumerate(keys, start=1):
            usage_id, used_amount, used_count = by_position.get(position, (None, Decimal(0), 0))
            counter, amount = counters[key], amounts[key[5]]
            if counter.amount is not None and used_amount + amount > counter.amount.value:
                raise _exceeded(counter.amount, intent, amount=amount, used=used_amount)
            if counter.count is not None and used_count + 1 > counter.count.value:
                raise _exceeded(counter.count, intent, amount=amount, used=used_count)
            ids.append(usage_id)
        now = timezone.now()
        written = writes.add(_ADD_TO_COUNTERS, [ids, *(list(column) for column in zip(*keys, strict=True)),
                                                [amounts[key[5]] for key in keys], now, now,
                                                intent.payment.pk, now])

        def verify() -> None:
            if len(written.rows or ()) != len(keys):
                raise ConcurrentChange("a limit usage counter was created by a concurrent payment")

        writes.then(verify)
        return None

    return finish


def _consume(key: CounterKey, amount: Decimal, counter: _Counter) -> int | None:
    """Add the payment to the counter if every limit on it still holds; the counter's id, or None
    when a limit would be exceeded (the counter is then locked and unchanged)."""
    if (counter.amount is not None and amount > counter.amount.value) or (
            counter.count is not None and counter.count.value < 1):
        return None  # it would not fit an empty counter either: no need to create one
    qn = connection.ops.quote_name
    table = qn(LimitUsage._meta.db_table)
    amount_col, count_col = qn("amount"), qn("count")
    conditions, limit_params = [], []
    if counter.amount is not None:
        conditions.append(f"{table}.{amount_col} + excluded.{amount_col} <= CAST(%s AS NUMERIC)")
        limit_params.append(counter.amount.value)
    if counter.count is not None:
        conditions.append(f"{table}.{count_col} + 1 <= %s")
        limit_params.append(counter.count.value)
    columns = ", ".join(qn(c) for c in ("scope_kind", "scope_id", "channel", "period", "period_start",
                                          "currency_id", "amount", "count", "updated_at"))
    conflict = ", ".join(qn(c) for c in ("scope_kind", "scope_id", "channel", "period", "period_start",
                                           "currency_id"))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {amount_col} = {table}.{amount_col} + excluded.{amount_col}, "
        f"{count_col} = {table}.{count_col} + 1, {qn('updated_at')} = excluded.{qn('updated_at')} "
        f"WHERE {' AND '.join(conditions)} RETURNING {qn('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key, amount, timezone.now(), *limit_params])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _refusal(key: CounterKey, counter: _Counter, intent: PaymentIntent, amount: Decimal) -> LimitExceeded:
    """Which limit on the counter the payment would exceed, from the counter as it stands."""
    used_amount, used_count = usage_for([key])[key]
    if counter.amount is not None and used_amount + amount > counter.amount.value:
        return _exceeded(counter.amount, intent, amount=amount, used=used_amount)
    if counter.count is not None and used_count + 1 > counter.count.value:
        return _exceeded(counter.count, intent, amount=amount, used=used_count)
    # Not reachable under a lock; name the tighter limit rather than fail without a reason.
    limit = counter.amount or counter.count
    return _exceeded(limit, intent, amount=amount, used=used_count if limit.is_count else used_amount)


def _fmt(value: Decimal | int, limit: Limit) -> str:
    if limit.is_count:
        return str(value)
    return format(quantize(Decimal(value), limit.exponent), "f")


def _scope_text(limit: Limit, account: Account) -> str:
    if limit.scope == ScopeKind.CUSTOMER:
        return f"customer {account.customer.number} (all their accounts)"
    if limit.source.startswith("profile "):
        return f"account {account.iban} ({limit.source})"
    return f"account {account.iban} (account rule)"


def _channel_text(channel: str) -> str:
    return f"the {Channel(channel).label} channel" if channel else "every channel"


def _period_text(limit: Limit, date: dt.date) -> str:
    return f"business date {date.isoformat()}" if limit.period == "day" else f"the month {date:%Y-%m}"


def _exceeded(limit: Limit, intent: PaymentIntent, *, amount: Decimal, used: Decimal | int | None) -> LimitExceeded:
    account = intent.debtor
    where = f"{_scope_text(limit, account)} on {_channel_text(limit.channel)}"
    unit = "" if limit.is_count else f" {limit.currency}"
    if limit.period is None:
        remaining = limit.value
        detail = (f"The payment of {_fmt(amount, limit)}{unit} exceeds the {LABELS[limit.field]} of "
                  f"{_fmt(limit.value, limit)}{unit} for {where}: at most {_fmt(remaining, limit)}{unit} "
                  f"may be paid at once.")
    else:
        remaining = max(limit.value - used, 0)
        if limit.is_count:
            detail = (f"The payment exceeds the {LABELS[limit.field]} of {limit.value} for {where}: "
                      f"{used} made, {remaining} remaining for {_period_text(limit, intent.business_date)}.")
        else:
            detail = (f"The payment of {_fmt(amount, limit)}{unit} exceeds the {LABELS[limit.field]} of "
                      f"{_fmt(limit.value, limit)}{unit} for {where}: {_fmt(remaining, limit)}{unit} remaining "
                      f"for {_period_text(limit, intent.business_date)}.")
    start = limit.counter_key(intent.business_date)[4] if limit.period is not None else None
    return LimitExceeded(
        detail,
        limit=limit.field,
        scope=limit.scope,
        scope_id=limit.scope_id,
        source=limit.source,
        rule_id=limit.rule_id,
        channel=limit.channel,
        period=limit.period,
        period_start=start.isoformat() if start else None,
        currency=None if limit.is_count else limit.currency,
        limit_amount=None if limit.is_count else _fmt(limit.value, limit),
        limit_count=limit.value if limit.is_count else None,
        requested=None if limit.is_count else _fmt(amount, limit),
        used=None if used is None else _fmt(used, limit),
        remaining=_fmt(remaining, limit),
    )


# --- give-back ------------------------------------------------------------------------------


def _key_of(usage: LimitUsage) -> CounterKey:
    return (usage.scope_kind, usage.scope_id, usage.channel, usage.period, usage.period_start, usage.currency_id)


@transaction.atomic
def give_back(*, payment: Payment) -> int:
    """Subtract what ``payment`` added to the counters (never below zero), once; again is a
    no-op. Counters are taken in the order ``enforce`` takes them. Returns how many changed."""
    records = list(LimitUsageRecord.objects.select_for_update(of=("self",)).select_related("usage")
                   .filter(payment=payment, released_at__isnull=True))
    if not records:
        return 0
    now = timezone.now()
    for record in sorted(records, key=lambda r: _key_of(r.usage)):
        LimitUsage.objects.filter(pk=record.usage_id).update(
            amount=Greatest(F("amount") - Value(record.amount), Value(Decimal(0))),
            count=Greatest(F("count") - Value(record.count), Value(0)),
            updated_at=now,
        )
    LimitUsageRecord.objects.filter(pk__in=[r.pk for r in records]).update(released_at=now)
    return len(records)


# --- the check, as the engine's seam sees it ---------------------------------------------------


class LimitsCheck:
    """What ``CORE_BANKING_PAYMENT_CHECKS`` names (``backoffice.limits.checks.LIMITS``)."""

    def check(self, intent: PaymentIntent) -> Review | None:
        return enforce(intent)

    def plan(self, intent: PaymentIntent, reads: Batch, writes: Batch) -> Callable[[], Review | None]:
        return plan(intent, reads, writes)

    def give_back(self, payment: Payment, intent: PaymentIntent | None = None) -> None:
        give_back(payment=payment)


LIMITS = LimitsCheck()
