"""Daily interest accrual of a chunk of loans: one INSERT ... SELECT for the chunk, then one
ledger entry per currency, in one transaction.

For each running loan (disbursed, active, in arrears) with ``first_id <= id <= last_id``, every
calendar day after its last accrual row (from its start date on) up to and including
``through`` gets one ``LoanAccrual`` row:

* ``amount = round(principal_outstanding * rate * factor, 18)`` where ``factor`` is
  ``daycount.daily_factor(convention, day, period_start=anchor)`` and ``anchor`` the start of the
  instalment period the day lies in (the latest instalment ``period_start <= day``), so the
  factors of a period sum exactly to the period's year fraction that the schedule used;
* ``cumulative`` the loan's running total, ``posted = round(cumulative, e) - round(cumulative -
  amount, e)`` at the currency's exponent ``e``, so the ledger always holds the loan's rounded
  running total and no rounding residue builds up.

Rounding here is PostgreSQL's ``round(numeric, n)``, half away from zero; the amounts are never
negative, so that is ROUND_HALF_UP, which the Python twin (``expected_rows``, used by the tests and
by SQLite) names explicitly: the one documented exception to the money module's half-even rule.

The factors are computed in Python (``daycount``, the one implementation) for the few distinct
(convention, anchor, day) triples the chunk needs and passed to the statement as arrays. The
statement inserts with ``ON CONFLICT (loan_id, date) DO NOTHING ... RETURNING`` and the chunk's
newly written total per currency is posted Dr accrued interest receivable / Cr interest income
(``interest.gl.interest_accounts``) with a key made of the step, the date and ``first_id``: a rerun
inserts nothing and therefore posts nothing. The chunk's loans are locked ``FOR UPDATE`` (in id
order) first, so a repayment cannot change a principal mid-chunk and two runs of one chunk queue.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db import connection, transaction

from core_banking.common.money import quantize
from core_banking.interest.daycount import WORKING_PRECISION, daily_factor
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import JournalEntry

STORAGE_EXPONENT = 18
RUNNING = ("disbursed", "active", "in_arrears")
_ONE_DAY = dt.timedelta(days=1)

_LOCK_SQL = """
SELECT l.id, l.convention, l.start_date,
       COALESCE((SELECT max(a.date) FROM loans_loanaccrual a WHERE a.loan_id = l.id), l.start_date - 1)
FROM loans_loan l
WHERE l.id BETWEEN %s AND %s AND l.status IN ('disbursed', 'active', 'in_arrears')
ORDER BY l.id
FOR UPDATE
"""

# The instalment periods the chunk's days can fall in: (convention, anchor, end of the window or
# NULL for the last instalment, after which the last anchor goes on).
_WINDOWS_SQL = """
SELECT DISTINCT l.convention, i.period_start, CASE WHEN i.number = l.term THEN NULL ELSE i.due_date END
FROM loans_instalment i JOIN loans_loan l ON l.id = i.loan_id
WHERE l.id = ANY(%s) AND i.period_start <= %s AND (i.due_date > %s OR i.number = l.term)
"""

_INSERT_SQL = """
WITH f(convention, anchor, day, factor) AS (
    SELECT * FROM unnest(%(conventions)s::text[], %(anchors)s::date[], %(days)s::date[], %(factors)s::numeric[])
),
chunk AS (
    SELECT l.id, l.convention, l.rate, l.principal_outstanding, c.exponent,
           COALESCE(last.date, l.start_date - 1) AS last_date, COALESCE(last.cumulative, 0) AS last_cumulative
    FROM loans_loan l
    JOIN ledger_currency c ON c.code = l.currency_id
    LEFT JOIN LATERAL (SELECT a.date, a.cumulative FROM loans_loanaccrual a WHERE a.loan_id = l.id
                       ORDER BY a.date DESC LIMIT 1) last ON true
    WHERE l.id = ANY(%(ids)s)
),
priced AS (
    SELECT ch.id, d.day::date AS day, ch.principal_outstanding AS principal, ch.rate, f.factor, ch.exponent,
           ch.last_cumulative, round(ch.principal_outstanding * ch.rate * f.factor, 18) AS amount
    FROM chunk ch
    CROSS JOIN LATERAL generate_series(ch.last_date + 1, %(through)s::date, interval '1 day') AS d(day)
    CROSS JOIN LATERAL (SELECT max(i.period_start) AS anchor FROM loans_instalment i
                        WHERE i.loan_id = ch.id AND i.period_start <= d.day::date) a
    JOIN f ON f.convention = ch.convention AND f.anchor = a.anchor AND f.day = d.day::date
),
running AS (
    SELECT p.*, p.last_cumulative + sum(p.amount) OVER (PARTITION BY p.id ORDER BY p.day) AS cumulative
    FROM priced p
),
inserted AS (
    INSERT INTO loans_loanaccrual (loan_id, date, principal, rate, factor, amount, cumulative, posted,
                                   business_date, created_at)
    SELECT id, day, principal, rate, factor, amount, cumulative,
           round(cumulative, exponent) - round(cumulative - amount, exponent), %(business_date)s, now()
    FROM running
    ON CONFLICT (loan_id, date) DO NOTHING
    RETURNING loan_id, posted
)
SELECT l.currency_id, count(*), COALESCE(sum(inserted.posted), 0)
FROM inserted JOIN loans_loan l ON l.id = inserted.loan_id
GROUP BY l.currency_id
ORDER BY l.currency_id
"""


def day_amount(principal: Decimal, rate: Decimal, factor: Decimal) -> Decimal:
    """One day's unrounded interest as stored (18 places, half up: see the module docstring)."""
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return quantize(principal * rate * factor, STORAGE_EXPONENT, rounding=ROUND_HALF_UP)


def posted_part(cumulative: Decimal, amount: Decimal, exponent: int) -> Decimal:
    return (quantize(cumulative, exponent, rounding=ROUND_HALF_UP)
            - quantize(cumulative - amount, exponent, rounding=ROUND_HALF_UP))


def factor_table(windows, first_day: dt.date, through: dt.date) -> tuple[list, list, list, list]:
    """The daily factors of every (convention, anchor, day) the chunk may need, as four arrays."""
    conventions, anchors, days, factors = [], [], [], []
    for convention, anchor, end in sorted(set(windows), key=lambda w: (w[0], w[1])):
        day = max(anchor, first_day)
        last = through if end is None else min(through, end - _ONE_DAY)
        while day <= last:
            conventions.append(convention)
            anchors.append(anchor)
            days.append(day)
            factors.append(daily_factor(convention, day, period_start=anchor))
            day += _ONE_DAY
    return conventions, anchors, days, factors


def _ledger_key(step: str, business_date: dt.date, first_id: int, currency: str) -> str:
    base = f"{step}:{business_date.isoformat()}:{first_id}:{currency}"
    # A chunk rerun that finds new rows (a loan disbursed after the first run) posts them under
    # a key of its own; the chunk's loans are locked, so counting the earlier entries is safe.
    earlier = JournalEntry.objects.filter(idempotency_scope="system", idempotency_key__startswith=base).count()
    return base if earlier == 0 else f"{base}:{earlier}"


def accrue_range(*, business_date: dt.date, first_id: int, last_id: int, through: dt.date | None = None,
                 step: str = "loans:accrue") -> int:
    """Accrue the chunk up to and including ``through`` (default ``business_date``); post the new
    total per currency. Returns the number of rows written."""
    through = through or business_date
    with transaction.atomic():
        if connection.vendor != "postgresql":
            totals = _accrue_python(business_date=business_date, first_id=first_id, last_id=last_id, through=through)
        else:
            totals = _accrue_sql(business_date=business_date, first_id=first_id, last_id=last_id, through=through)
        written = 0
        for currency, (count, posted) in sorted(totals.items()):
            written += count
            if posted > 0:
                accounts = interest_accounts(currency)
                ledger.entry_post(
                    postings=[Leg(accounts.receivable.pk, posted), Leg(accounts.income.pk, -posted)],
                    idempotency_key=_ledger_key(step, business_date, first_id, currency), value_date=business_date,
                    description=f"Loan interest accrued through {through.isoformat()} (loans {first_id}-{last_id})",
                    metadata={"step": step, "business_date": business_date.isoformat(), "first_id": first_id,
                              "last_id": last_id, "rows": count},
                )
        return written


def _accrue_sql(*, business_date, first_id, last_id, through) -> dict[str, tuple[int, Decimal]]:
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, [first_id, last_id])
        loans = cursor.fetchall()
        pending = [(loan_id, convention, last) for loan_id, convention, _start, last in loans if last < through]
        if not pending:
            return {}
        ids = [loan_id for loan_id, _, _ in pending]
        first_day = min(last for _, _, last in pending) + _ONE_DAY
        cursor.execute(_WINDOWS_SQL, [ids, through, first_day])
        conventions, anchors, days, factors = factor_table(cursor.fetchall(), first_day, through)
        cursor.execute(_INSERT_SQL, {"conventions": conventions, "anchors": anchors, "days": days,
                                     "factors": factors, "ids": ids, "through": through,
                                     "business_date": business_date})
        return {currency: (count, Decimal(total)) for currency, count, total in cursor.fetchall()}


def expected_rows(*, principal: Decimal, rate: Decimal, convention: str, anchors: list[dt.date], days: list[dt.date],
                  exponent: int, cumulative: Decimal = Decimal(0)) -> list[tuple[dt.date, Decimal, Decimal, Decimal,
                                                                                  Decimal]]:
    """The rows the statement writes for one loan, computed in Python: (day, factor, amount,
    cumulative, posted). ``anchors`` are the loan's instalment period starts."""
    rows = []
    for day in days:
        anchor = max(a for a in anchors if a <= day)
        factor = daily_factor(convention, day, period_start=anchor)
        amount = day_amount(principal, rate, factor)
        cumulative += amount
        rows.append((day, factor, amount, cumulative, posted_part(cumulative, amount, exponent)))
    return rows


def _accrue_python(*, business_date, first_id, last_id, through) -> dict[str, tuple[int, Decimal]]:
    """The same rows on the embedded SQLite database (``make run``), where numeric arithmetic in
    SQL would be binary floating point: one read of the chunk, the rows computed in Python, one
    bulk insert (SQLite transactions are IMMEDIATE, so nothing runs concurrently)."""
    from .models import Instalment, Loan, LoanAccrual

    loans = list(Loan.objects.filter(id__gte=first_id, id__lte=last_id, status__in=RUNNING)
                 .select_related("currency").order_by("id"))
    last_rows = {row.loan_id: row for row in LoanAccrual.objects.filter(loan__in=loans).order_by("loan_id", "date")}
    starts = defaultdict(list)
    for loan_id, start in Instalment.objects.filter(loan__in=loans).values_list("loan_id", "period_start"):
        starts[loan_id].append(start)
    totals: dict[str, list] = {}
    new_rows = []
    for loan in loans:
        last = last_rows.get(loan.pk)
        begin = last.date + _ONE_DAY if last else loan.start_date
        if begin > through or not starts[loan.pk]:
            continue
        days = [begin + dt.timedelta(days=i) for i in range((through - begin).days + 1)]
        for day, factor, amount, cumulative, posted in expected_rows(
                principal=loan.principal_outstanding, rate=loan.rate, convention=loan.convention,
                anchors=starts[loan.pk], days=days, exponent=loan.currency.exponent,
                cumulative=last.cumulative if last else Decimal(0)):
            new_rows.append(LoanAccrual(loan=loan, date=day, principal=loan.principal_outstanding, rate=loan.rate,
                                        factor=quantize(factor, STORAGE_EXPONENT, rounding=ROUND_HALF_UP),
                                        amount=amount, cumulative=cumulative, posted=posted,
                                        business_date=business_date))
            entry = totals.setdefault(loan.currency_id, [0, Decimal(0)])
            entry[0] += 1
            entry[1] += posted
    LoanAccrual.objects.bulk_create(new_rows, batch_size=2000)
    return {currency: (count, total) for currency, (count, total) in totals.items()}
