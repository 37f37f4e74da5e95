"""The daily accrual of term deposits, set-based: one INSERT ... SELECT for a range of deposits.

``accrue_range(first_id, last_id, through, business_date)`` writes, for every active deposit with
``first_id <= id <= last_id``, one ``DepositAccrual`` row per calendar day not yet accrued, from
its start date up to and including ``through`` but before its maturity date, and posts what the
new rows add to accrued interest payable, one journal entry per currency, in the same database
transaction (the caller's, or its own). In order (PostgreSQL):

1. lock the range's active deposits (``FOR UPDATE``, id order): an early withdrawal or a
   maturity of one of them waits for the chunk, or the chunk for it, never both at once;
2. one aggregate query tells which (convention, anchor) pairs and days the range needs; the
   daily factors of those few dates are computed in Python by ``core_banking.interest.daycount``
   (the one source of day counts) and passed as arrays;
3. one statement: ``generate_series`` of the missing days per deposit, joined to the factors,
   ``INSERT ... ON CONFLICT (deposit, day) DO NOTHING RETURNING``, and the deposits' running sums
   updated from exactly the rows that were inserted;
4. per deposit, the running sum rounded once to the currency minus what the ledger already
   holds for it is what this run moves from interest expense to accrued interest payable; the
   total per currency is posted as one entry (Dr expense, Cr payable) and the deposits' posted
   figure updated in one statement.

Running it again for the same arguments inserts no row, so it posts nothing. The entry's
idempotency key is ``deposits:accrue:<business date>:<first id>:<currency>``; should a later
run of the same chunk find new work (a deposit opened since), it takes the next free suffix
(``...#2``): the rows and their entry commit together, so a key in use is work already done.

On SQLite (the embedded demo) the same rows are computed in Python, one deposit at a time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core_banking.common.money import quantize
from core_banking.interest.daycount import THIRTY_360_CONVENTIONS
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import Currency, JournalEntry

from . import calc
from .models import DepositAccrual, TermDeposit

SYSTEM_SCOPE = "system"
_THIRTY_360 = sorted(c.value for c in THIRTY_360_CONVENTIONS)

_LOCK_SQL = """
SELECT count(*) FROM (
    SELECT id FROM deposits_termdeposit
    WHERE id BETWEEN %(first)s AND %(last)s AND status = 'active'
    ORDER BY id FOR UPDATE
) locked
"""

# The days each deposit still needs: from the day after the last accrued one (or the start)
# to ``through``, never the maturity date or later.
_RANGE = """
    FROM deposits_termdeposit d
    WHERE d.id BETWEEN %(first)s AND %(last)s AND d.status = 'active'
      AND COALESCE(d.accrued_through + 1, d.start_date) <= LEAST(%(through)s::date, d.maturity_date - 1)
"""

_PLAN_SQL = f"""
SELECT d.convention,
       CASE WHEN d.convention = ANY(%(thirty)s::text[]) THEN d.start_date END AS anchor,
       MIN(COALESCE(d.accrued_through + 1, d.start_date)),
       MAX(LEAST(%(through)s::date, d.maturity_date - 1))
{_RANGE}
GROUP BY 1, 2
"""

# principal x rate x factor is exact in numeric; it is rounded half-even to 18 places by hand
# (PostgreSQL's round() rounds half away from zero), as common.money.quantize does in Python.
_ACCRUE_SQL = """
WITH factors AS (
    SELECT * FROM unnest(%(f_convention)s::text[], %(f_anchor)s::date[], %(f_day)s::date[], %(f_factor)s::numeric[])
        AS f(convention, anchor, day, factor)
), wanted AS (
    SELECT d.id, d.principal, d.rate, d.convention, f.day, f.factor,
           d.principal * d.rate * f.factor * 1000000000000000000 AS scaled
    FROM deposits_termdeposit d
    CROSS JOIN LATERAL generate_series(COALESCE(d.accrued_through + 1, d.start_date)::timestamp,
                                       LEAST(%(through)s::date, d.maturity_date - 1)::timestamp,
                                       interval '1 day') AS g(ts)
    JOIN factors f ON f.day = g.ts::date AND f.convention = d.convention
                  AND f.anchor IS NOT DISTINCT FROM
                      (CASE WHEN d.convention = ANY(%(thirty)s::text[]) THEN d.start_date END)
    WHERE d.id BETWEEN %(first)s AND %(last)s AND d.status = 'active'
), inserted AS (
    INSERT INTO deposits_depositaccrual
        (deposit_id, accrual_date, business_date, principal, rate, convention, daily_factor, amount, created_at)
    SELECT w.id, w.day, %(business_date)s::date, w.principal, w.rate, w.convention, w.factor,
           (CASE WHEN w.scaled - floor(w.scaled) > 0.5 THEN floor(w.scaled) + 1
                 WHEN w.scaled - floor(w.scaled) < 0.5 THEN floor(w.scaled)
                 ELSE floor(w.scaled) + mod(floor(w.scaled), 2) END) * 0.000000000000000001,
           %(now)s
    FROM wanted w
    ORDER BY w.id, w.day
    ON CONFLICT (deposit_id, accrual_date) DO NOTHING
    RETURNING deposit_id, accrual_date, amount
), per_deposit AS (
    SELECT deposit_id, sum(amount) AS total, max(accrual_date) AS last_day, count(*) AS n
    FROM inserted GROUP BY deposit_id
)
UPDATE deposits_termdeposit d
SET accrued_interest = d.accrued_interest + p.total,
    accrued_through = GREATEST(COALESCE(d.accrued_through, p.last_day), p.last_day)
FROM per_deposit p
WHERE d.id = p.deposit_id
RETURNING d.id, d.currency_id, d.accrued_interest, d.accrued_posted, p.n
"""

_POSTED_SQL = """
UPDATE deposits_termdeposit d SET accrued_posted = v.posted
FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, posted)
WHERE d.id = v.id
"""


def _factors(plan) -> dict[str, list]:
    """The daily factor of every (convention, anchor, day) the plan needs, as arrays."""
    arrays: dict[str, list] = {"f_convention": [], "f_anchor": [], "f_day": [], "f_factor": []}
    for convention, anchor, first, last in plan:
        day = first
        while day <= last:
            arrays["f_convention"].append(convention)
            arrays["f_anchor"].append(anchor)
            arrays["f_day"].append(day)
            arrays["f_factor"].append(calc.deposit_daily_factor(convention, anchor or day, day))
            day += calc.ONE_DAY
    return arrays


def _free_key(base: str) -> str:
    """``base``, or its next unused ``#n`` suffix (see the module docstring)."""
    key, n = base, 1
    while JournalEntry.objects.filter(idempotency_scope=SYSTEM_SCOPE, idempotency_key=key).exists():
        n += 1
        key = f"{base}#{n}"
    return key


def _post(deltas: dict[str, Decimal], *, key_base: str, business_date: dt.date, first_id: int, last_id: int,
          rows: int) -> list[int]:
    entry_ids = []
    for currency, total in sorted(deltas.items()):
        if total == 0:
            continue
        gl = interest_accounts(currency)
        result = ledger.entry_post(
            postings=[Leg(gl.expense.pk, total, currency), Leg(gl.payable.pk, -total, currency)],
            idempotency_key=_free_key(f"{key_base}:{currency}"), value_date=business_date,
            description=f"Term-deposit interest accrued to {business_date.isoformat()}",
            metadata={"deposits": "accrual", "business_date": business_date.isoformat(), "first_id": first_id,
                      "last_id": last_id, "rows": rows},
        )
        entry_ids.append(result.entry_id)
    return entry_ids


def accrue_range(*, first_id: int, last_id: int, through: dt.date, business_date: dt.date, key_base: str) -> int:
    """Accrue the range's missing days up to ``through`` and post them; returns rows written."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            return _accrue_portable(first_id=first_id, last_id=last_id, through=through,
                                    business_date=business_date, key_base=key_base)
        params = {"first": first_id, "last": last_id, "through": through, "thirty": _THIRTY_360}
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL, params)
            cursor.execute(_PLAN_SQL, params)
            plan = cursor.fetchall()
            if not plan:
                return 0
            cursor.execute(_ACCRUE_SQL, {**params, **_factors(plan), "business_date": business_date,
                                         "now": timezone.now()})
            updated = cursor.fetchall()
        if not updated:
            return 0
        return _book(updated, key_base=key_base, business_date=business_date, first_id=first_id, last_id=last_id)


def _book(updated, *, key_base: str, business_date: dt.date, first_id: int, last_id: int) -> int:
    """Move each deposit's posted figure to its running sum rounded once; post the differences."""
    exponents = dict(Currency.objects.filter(code__in={row[1] for row in updated}).values_list("code", "exponent"))
    deltas: dict[str, Decimal] = defaultdict(Decimal)
    ids, posted = [], []
    rows = 0
    for deposit_id, currency, accrued, already_posted, n in updated:
        target = quantize(Decimal(accrued), exponents[currency])
        deltas[currency] += target - Decimal(already_posted)
        ids.append(deposit_id)
        posted.append(target)
        rows += n
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_POSTED_SQL, [ids, posted])
    else:
        for deposit_id, value in zip(ids, posted, strict=True):
            TermDeposit.objects.filter(pk=deposit_id).update(accrued_posted=value)
    _post(deltas, key_base=key_base, business_date=business_date, first_id=first_id, last_id=last_id, rows=rows)
    return rows


def _accrue_portable(*, first_id: int, last_id: int, through: dt.date, business_date: dt.date,
                     key_base: str) -> int:
    """The same rows without PostgreSQL (SQLite serializes writers, so no row locks)."""
    updated = []
    deposits = TermDeposit.objects.filter(pk__gte=first_id, pk__lte=last_id, status=TermDeposit.Status.ACTIVE)
    for deposit in deposits.order_by("pk"):
        first = deposit.accrued_through + calc.ONE_DAY if deposit.accrued_through else deposit.start_date
        last = min(through, deposit.maturity_date - calc.ONE_DAY)
        if first > last:
            continue
        new = []
        for day, amount in calc.accruals(deposit.principal, deposit.rate, deposit.convention, deposit.start_date,
                                         first, last):
            new.append(DepositAccrual(
                deposit=deposit, accrual_date=day, business_date=business_date, principal=deposit.principal,
                rate=deposit.rate, convention=deposit.convention, amount=amount,
                daily_factor=calc.deposit_daily_factor(deposit.convention, deposit.start_date, day)))
        DepositAccrual.objects.bulk_create(new)
        total = sum((row.amount for row in new), Decimal(0))
        TermDeposit.objects.filter(pk=deposit.pk).update(accrued_interest=deposit.accrued_interest + total,
                                                         accrued_through=last)
        updated.append((deposit.pk, deposit.currency_id, deposit.accrued_interest + total, deposit.accrued_posted,
                        len(new)))
    if not updated:
        return 0
    return _book(updated, key_base=key_base, business_date=business_date, first_id=first_id, last_id=last_id)
