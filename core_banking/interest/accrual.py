"""The daily interest accrual of customer accounts, set-based: one INSERT ... SELECT per chunk.

``accrue_range(business_date=D, first_id, last_id)`` writes, for every account of the chunk that
earns interest (``eligible_accounts``), one ``InterestAccrual`` row per calendar day of
``accrual_days(D)`` (every day after the previous closed business date up to and including
``D``: weekends and holidays have no end of day of their own and are caught up by the next one)
from the day the account was opened on, and posts what the new rows moved, in one transaction.

The balance of day ``d`` is the posted balance at ``ledger.selectors.business_date_cutoff(d)``
(a skipped date's close is the previous open day's close). Per balance shard of the account it
is the shard's current ``ledger_balance`` row when its last posting is at or before the cutoff
(nearly every account: the open day has few postings), else the ``balance_after`` of the shard's
last posting at or before the cutoff (one backward step of the ``ledger_posting_position``
index). docs/interest.md has the measurements behind that choice.

End-of-day basis on PostgreSQL (``_ACCRUE_SQL``): the daily factors
(``daycount.daily_factor`` anchored at the capitalisation period's start), the rate version in
force on each day and its credit bands (``calc.RateVersion.bands``), debit rate, minimum balance
and tier mode are computed in Python for the few (schedule, day) pairs of the chunk and passed as
arrays; the statement computes per account and day

* ``annual``: ``balance * debit_rate`` when overdrawn; 0 below the minimum balance; the whole
  balance at its band's rate, or each slice at its band's rate (marginal), as ``calc``;
* ``amount = round(annual * factor, 18)``; zero balances write no row;
* ``cumulative``: the running total within the period (the last row before the days, when in the
  same period, plus a window sum), ``posted = round(cumulative, e) - round(cumulative - amount,
  e)`` at the currency's exponent, so the GL accounts hold each account's rounded running total
  and no rounding residue builds up;

and inserts with ``ON CONFLICT (account, date) DO NOTHING RETURNING``. PostgreSQL's ``round``
rounds half away from zero: the Python twin (``day_row``) names ``ROUND_HALF_UP`` explicitly
(Python's half-up is away from zero for negative numbers too).

The average-daily-balance basis, and every basis on SQLite (binary floating point in SQL),
computes the same rows in Python (``_accrue_python``) with the same idempotency.

Postings, per currency, of the rows just written: the sum of the positive ``posted`` Dr interest
expense / Cr accrued interest payable, the sum of the negative ones Dr accrued interest
receivable / Cr interest income (``gl.interest_accounts``), keyed
``interest:accrue:<D>:<first id>:<currency>:credit|debit``. A rerun inserts nothing and posts
nothing; a rerun that finds new rows posts them under the key's next free ``#n`` suffix. Reruns
of one chunk queue on a transaction-level advisory lock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core_banking.accounts.models import Account
from core_banking.common.errors import DomainError
from core_banking.common.money import quantize, to_decimal
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import AccountBalance, BusinessDay, JournalEntry, Posting
from core_banking.ledger.selectors import business_date_cutoff

from . import calc, selectors
from .daycount import WORKING_PRECISION, daily_factor
from .gl import interest_accounts
from .models import InterestAccrual, InterestRateSchedule

STORAGE_EXPONENT = 18
SYSTEM_SCOPE = "system"
NOT_EARNING = (Account.Status.PENDING, Account.Status.CLOSED)
_ONE_DAY = dt.timedelta(days=1)
_LOCK_CLASS = "interest.accrue"


class BusinessDateNotClosed(DomainError):
    code = "business_date_not_closed"
    status = 409
    title = "The business date is not closed yet"


# --- who earns, which days -------------------------------------------------------------------


def eligible_accounts() -> QuerySet:
    """Accounts that earn interest: their product names (``interest_schedule_code``) an active
    schedule in the account's currency, and they are neither pending nor closed. Frozen,
    blocked and dormant accounts keep earning (and paying) interest: a status restricts what the
    customer may do, not what the bank owes."""
    schedules = InterestRateSchedule.objects.filter(is_active=True, code=OuterRef("product__interest_schedule_code"),
                                                    currency_id=OuterRef("currency_id"))
    return (Account.objects.exclude(status__in=NOT_EARNING).exclude(product__interest_schedule_code="")
            .filter(Exists(schedules)))


def previous_closed_date(business_date: dt.date) -> dt.date | None:
    return (BusinessDay.objects.filter(date__lt=business_date, closed_at__isnull=False).order_by("-date")
            .values_list("date", flat=True).first())


def accrual_days(business_date: dt.date) -> list[dt.date]:
    """The calendar days the end of day of ``business_date`` accrues: after the previous closed
    business date, up to and including ``business_date`` (only it on a fresh ledger)."""
    previous = previous_closed_date(business_date)
    start = previous + _ONE_DAY if previous else business_date
    return calc.days_of(start, business_date + _ONE_DAY)


def local_day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- the arithmetic both paths share --------------------------------------------------------


def half_up(value: Decimal, exponent: int) -> Decimal:
    return quantize(value, exponent, rounding=ROUND_HALF_UP)


def day_amount(balance: Decimal, terms: calc.RateSchedule, day: dt.date, convention: str,
               period_start: dt.date) -> Decimal:
    """One day's interest as stored: ``calc.accrue_daily`` rounded to 18 places half away from
    zero (PostgreSQL's ``round``)."""
    return half_up(calc.accrue_daily(balance, terms, day, convention, period_start=period_start), STORAGE_EXPONENT)


def day_rate(balance: Decimal, version: calc.RateVersion, terms: calc.RateSchedule) -> Decimal:
    return half_up(calc.effective_rate(balance, version, tier_mode=terms.tier_mode,
                                       minimum_balance=terms.minimum_balance), STORAGE_EXPONENT)


def posted_part(cumulative: Decimal, amount: Decimal, exponent: int) -> Decimal:
    """What a day moves in the ledger: the change of the running total rounded once."""
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return half_up(cumulative, exponent) - half_up(cumulative - amount, exponent)


# --- the statement ----------------------------------------------------------------------------

# The rate arithmetic, shared with ``price_sql`` (the tests' proof that it equals ``calc``).
# ``bl.balance``, ``v.debit_rate``, ``s.minimum``, ``s.marginal`` and the bands of ``d.version_id``.
_ANNUAL = """
    CASE WHEN bl.balance < 0 THEN bl.balance * v.debit_rate
         WHEN bl.balance < s.minimum THEN 0
         WHEN s.marginal THEN t.marginal
         ELSE bl.balance * t.band_rate END
"""
_RATE = """
    CASE WHEN bl.balance < 0 THEN v.debit_rate
         WHEN bl.balance < s.minimum THEN 0
         WHEN s.marginal THEN round(t.marginal / bl.balance, 18)
         ELSE t.band_rate END
"""
_BANDS_LATERAL = """
    CROSS JOIN LATERAL (
        SELECT sum((LEAST(bl.balance, COALESCE(bd.hi, bl.balance)) - bd.lo) * bd.rate)
                   FILTER (WHERE bd.lo < bl.balance) AS marginal,
               max(bd.rate) FILTER (WHERE bd.lo <= bl.balance AND (bd.hi IS NULL OR bl.balance < bd.hi)) AS band_rate
        FROM bands bd WHERE bd.version_id = d.version_id
    ) t
"""
_TERMS_CTES = """
d AS (
    SELECT * FROM unnest(%(d_schedule)s::bigint[], %(d_day)s::date[], %(d_period)s::date[], %(d_factor)s::numeric[],
                         %(d_version)s::bigint[], %(d_cutoff)s::int[])
        AS d(schedule_id, day, period_start, factor, version_id, cutoff_no)
),
bands AS MATERIALIZED (
    SELECT * FROM unnest(%(b_version)s::bigint[], %(b_lo)s::numeric[], %(b_hi)s::numeric[], %(b_rate)s::numeric[])
        AS b(version_id, lo, hi, rate)
),
versions AS (
    SELECT * FROM unnest(%(v_id)s::bigint[], %(v_debit)s::numeric[]) AS v(version_id, debit_rate)
),
schedules AS (
    SELECT * FROM unnest(%(s_id)s::bigint[], %(s_marginal)s::boolean[], %(s_minimum)s::numeric[],
                         %(s_convention)s::text[]) AS s(schedule_id, marginal, minimum, convention)
)
"""

# One pipeline driven by the chunk's account rows (a range of the primary key): the small arrays
# are hashed, the balance, the bands and the previous row are per-row lateral index look-ups.
_ACCRUE_SQL = f"""
WITH {_TERMS_CTES},
cutoffs AS (
    SELECT * FROM unnest(%(c_no)s::int[], %(c_at)s::timestamptz[]) AS c(cutoff_no, at)
),
priced AS (
    SELECT a.id AS account_id, sch.id AS schedule_id, d.day, d.period_start, d.version_id, cur.exponent,
           s.convention, bl.balance, round(({_ANNUAL}) * d.factor, 18) AS amount, {_RATE} AS rate,
           pv.period_start AS prev_period, pv.cumulative AS prev_cumulative
    FROM accounts_account a
    JOIN accounts_product p ON p.id = a.product_id
    JOIN interest_interestrateschedule sch ON sch.code = p.interest_schedule_code AND sch.currency_id = a.currency_id
    JOIN ledger_currency cur ON cur.code = a.currency_id
    JOIN schedules s ON s.schedule_id = sch.id
    JOIN d ON d.schedule_id = sch.id AND d.day >= (a.opened_at AT TIME ZONE %(tz)s)::date
    JOIN cutoffs c ON c.cutoff_no = d.cutoff_no
    JOIN versions v ON v.version_id = d.version_id
    CROSS JOIN LATERAL (
        -- per shard: the current row when its last posting is at or before the cutoff, else the
        -- balance after the last posting at or before it (ledger_posting_position, backwards)
        SELECT sum(CASE WHEN b.last_posted_at IS NULL OR b.last_posted_at <= c.at THEN b.balance
                        ELSE COALESCE((SELECT lp.balance_after FROM ledger_posting lp
                                       WHERE lp.account_id = b.account_id AND lp.shard = b.shard
                                         AND lp.posted_at <= c.at
                                       ORDER BY lp.posted_at DESC LIMIT 1), 0) END) AS balance
        FROM ledger_balance b WHERE b.account_id = a.ledger_account_id
    ) bl
    {_BANDS_LATERAL}
    LEFT JOIN LATERAL (SELECT ia.period_start, ia.cumulative FROM interest_interestaccrual ia
                       WHERE ia.account_id = a.id AND ia.business_date < %(first_day)s
                       ORDER BY ia.business_date DESC LIMIT 1) pv ON true
    WHERE a.id BETWEEN %(first)s AND %(last)s AND a.status NOT IN ('pending', 'closed')
      AND bl.balance <> 0
),
running AS (
    SELECT p.*, COALESCE(CASE WHEN p.prev_period = p.period_start THEN p.prev_cumulative END, 0)
                + sum(p.amount) OVER (PARTITION BY p.account_id, p.period_start ORDER BY p.day) AS cumulative
    FROM priced p
),
inserted AS (
    INSERT INTO interest_interestaccrual (account_id, business_date, schedule_id, rate_version_id, balance, rate,
                                          amount, convention, period_start, cumulative, posted, created_at)
    SELECT account_id, day, schedule_id, version_id, balance, rate, amount, convention, period_start, cumulative,
           round(cumulative, exponent) - round(cumulative - amount, exponent), %(now)s
    FROM running
    ON CONFLICT (account_id, business_date) DO NOTHING
    RETURNING schedule_id, posted
)
SELECT i.schedule_id, count(*), COALESCE(sum(i.posted) FILTER (WHERE i.posted > 0), 0),
       COALESCE(sum(i.posted) FILTER (WHERE i.posted < 0), 0)
FROM inserted i
GROUP BY i.schedule_id
"""

# ``price_sql``: the same arithmetic over given balances (one schedule, one version, one day).
_PRICE_SQL = f"""
WITH {_TERMS_CTES},
bl AS (SELECT * FROM unnest(%(balances)s::numeric[]) WITH ORDINALITY AS x(balance, n))
SELECT bl.n, round(({_ANNUAL}) * d.factor, 18), {_RATE}
FROM bl CROSS JOIN d
JOIN versions v ON v.version_id = d.version_id
JOIN schedules s ON s.schedule_id = d.schedule_id
{_BANDS_LATERAL}
ORDER BY bl.n
"""


@dataclass
class _Terms:
    """The arrays the statement takes for a set of schedules and days."""

    d_schedule: list
    d_day: list
    d_period: list
    d_factor: list
    d_version: list
    d_cutoff: list
    b_version: list
    b_lo: list
    b_hi: list
    b_rate: list
    v_id: list
    v_debit: list
    s_id: list
    s_marginal: list
    s_minimum: list
    s_convention: list

    @classmethod
    def empty(cls) -> _Terms:
        return cls(*([] for _ in range(16)))

    def add_schedule(self, schedule: InterestRateSchedule, terms: calc.RateSchedule, version_ids: dict,
                     days: Iterable[tuple[int, dt.date]]) -> None:
        self.s_id.append(schedule.pk)
        self.s_marginal.append(terms.tier_mode is calc.TierMode.MARGINAL)
        self.s_minimum.append(terms.minimum_balance)
        self.s_convention.append(schedule.convention)
        seen_versions = set(self.v_id)
        for cutoff_no, day in days:
            try:
                version = terms.version_on(day)
            except calc.NoRateInForce:
                continue  # no rate yet: the day accrues nothing
            version_id = version_ids[version.effective_from]
            period_start = calc.period_bounds(schedule.capitalisation_frequency, day)[0]
            self.d_schedule.append(schedule.pk)
            self.d_day.append(day)
            self.d_period.append(period_start)
            self.d_factor.append(daily_factor(schedule.convention, day, period_start=period_start))
            self.d_version.append(version_id)
            self.d_cutoff.append(cutoff_no)
            if version_id not in seen_versions:
                seen_versions.add(version_id)
                self.v_id.append(version_id)
                self.v_debit.append(version.debit_rate)
                for lo, hi, rate in version.bands():
                    self.b_version.append(version_id)
                    self.b_lo.append(lo)
                    self.b_hi.append(hi)
                    self.b_rate.append(rate)

    def params(self) -> dict:
        return dict(self.__dict__)


def price_sql(balances: Sequence[Decimal], terms: calc.RateSchedule, day: dt.date, convention: str,
              period_start: dt.date) -> list[tuple[Decimal, Decimal]]:
    """(amount, rate) of each balance for ``day`` computed by the statement's own arithmetic
    (``_ANNUAL`` / ``_RATE``), without tables: what the tests compare with ``calc``."""
    version = terms.version_on(day)
    t = _Terms.empty()
    t.s_id, t.s_marginal, t.s_minimum, t.s_convention = [1], [terms.tier_mode is calc.TierMode.MARGINAL], \
        [terms.minimum_balance], [convention]
    t.d_schedule, t.d_day, t.d_period, t.d_version, t.d_cutoff = [1], [day], [period_start], [1], [0]
    t.d_factor = [daily_factor(convention, day, period_start=period_start)]
    t.v_id, t.v_debit = [1], [version.debit_rate]
    for lo, hi, rate in version.bands():
        t.b_version.append(1)
        t.b_lo.append(lo)
        t.b_hi.append(hi)
        t.b_rate.append(rate)
    with connection.cursor() as cursor:
        cursor.execute(_PRICE_SQL, {**t.params(), "balances": [to_decimal(b) for b in balances]})
        return [(Decimal(amount), Decimal(rate)) for _, amount, rate in cursor.fetchall()]


# --- the chunk --------------------------------------------------------------------------------


def _lock_chunk(business_date: dt.date, first_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                           [f"{_LOCK_CLASS}:{business_date.isoformat()}:{first_id}"])


def _schedules_of_chunk(first_id: int, last_id: int) -> list[InterestRateSchedule]:
    codes = (eligible_accounts().filter(id__gte=first_id, id__lte=last_id)
             .values_list("product__interest_schedule_code", "currency_id").distinct())
    pairs = set(codes)
    if not pairs:
        return []
    schedules = InterestRateSchedule.objects.filter(is_active=True, code__in={c for c, _ in pairs})
    return [s for s in schedules.order_by("id") if (s.code, s.currency_id) in pairs]


def accrue_range(*, business_date: dt.date, first_id: int, last_id: int) -> int:
    """Accrue the chunk's days (``accrual_days``) and post them; returns the rows written."""
    days = accrual_days(business_date)
    cutoffs = []
    for day in days:
        cutoff = business_date_cutoff(day)
        if cutoff is None:
            raise BusinessDateNotClosed(f"business date {business_date.isoformat()} is still open",
                                        business_date=business_date.isoformat())
        cutoffs.append(cutoff)
    with transaction.atomic():
        _lock_chunk(business_date, first_id)
        schedules = _schedules_of_chunk(first_id, last_id)
        totals: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
        sql_terms = _Terms.empty()
        for schedule in schedules:
            terms = selectors.schedule_terms(schedule)
            end_of_day = schedule.accrual_basis == calc.AccrualBasis.END_OF_DAY
            if end_of_day and connection.vendor == "postgresql":
                sql_terms.add_schedule(schedule, terms, selectors.version_ids(schedule), enumerate(days))
            else:
                for currency, (count, credit, debit) in _accrue_python(
                        schedule=schedule, terms=terms, days=days, cutoffs=cutoffs, first_id=first_id,
                        last_id=last_id).items():
                    _add(totals[currency], count, credit, debit)
        if sql_terms.d_day:
            with connection.cursor() as cursor:
                # The plan is a few hundred cheap row operations per account: JIT compilation
                # (~60 ms a chunk) costs more than it saves.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(_ACCRUE_SQL, statement_params(sql_terms, days, cutoffs, first_id, last_id))
                currencies = {schedule.pk: schedule.currency_id for schedule in schedules}
                for schedule_id, count, credit, debit in cursor.fetchall():
                    _add(totals[currencies[schedule_id]], count, Decimal(credit), Decimal(debit))
        _post(totals, business_date=business_date, first_id=first_id, last_id=last_id, days=days)
        return sum(count for count, _, _ in totals.values())


def statement_params(terms: _Terms, days: list[dt.date], cutoffs: list[dt.datetime], first_id: int,
                     last_id: int) -> dict:
    return {**terms.params(), "c_no": list(range(len(cutoffs))), "c_at": cutoffs, "first": first_id,
            "last": last_id, "first_day": days[0], "now": timezone.now(), "tz": timezone.get_current_timezone_name()}


def _add(total: list, count: int, credit: Decimal, debit: Decimal) -> None:
    total[0] += count
    total[1] += credit
    total[2] += debit


def free_key(base: str) -> str:
    """``base``, or its next unused ``#n`` suffix: the rows and their entry commit together, so a
    key in use is work already booked, and a rerun that found new rows books them anew."""
    key, n = base, 1
    while JournalEntry.objects.filter(idempotency_scope=SYSTEM_SCOPE, idempotency_key=key).exists():
        n += 1
        key = f"{base}#{n}"
    return key


def _post(totals: dict[str, list], *, business_date: dt.date, first_id: int, last_id: int,
          days: list[dt.date]) -> None:
    for currency, (count, credit, debit) in sorted(totals.items()):
        if not count:
            continue
        gl = interest_accounts(currency)
        metadata = {"interest": "accrual", "business_date": business_date.isoformat(), "first_id": first_id,
                    "last_id": last_id, "rows": count, "days": [days[0].isoformat(), days[-1].isoformat()]}
        base = f"interest:accrue:{business_date.isoformat()}:{first_id}:{currency}"
        if credit:  # interest the bank owes: expense, not yet paid
            ledger.entry_post(postings=[Leg(gl.expense.pk, credit, currency), Leg(gl.payable.pk, -credit, currency)],
                              idempotency_key=free_key(f"{base}:credit"), value_date=business_date,
                              description=f"Credit interest accrued to {business_date.isoformat()} "
                              f"(accounts {first_id}-{last_id})", metadata=metadata)
        if debit:  # interest the customers owe (debit is negative): income, not yet charged
            ledger.entry_post(postings=[Leg(gl.receivable.pk, -debit, currency), Leg(gl.income.pk, debit, currency)],
                              idempotency_key=free_key(f"{base}:debit"), value_date=business_date,
                              description=f"Debit interest accrued to {business_date.isoformat()} "
                              f"(accounts {first_id}-{last_id})", metadata=metadata)


# --- the Python twin --------------------------------------------------------------------------


def balances_at(ledger_account_ids: Sequence[int], at: dt.datetime) -> dict[int, Decimal]:
    """Posted balance (normal orientation) of each ledger account at an instant, per shard as
    the accrual statement reads it. One query per shard that moved since ``at``."""
    result: dict[int, Decimal] = defaultdict(Decimal)
    for row in AccountBalance.objects.filter(account_id__in=ledger_account_ids):
        if row.last_posted_at is None or row.last_posted_at <= at:
            result[row.account_id] += row.balance
        else:
            last = (Posting.objects.filter(account_id=row.account_id, shard=row.shard, posted_at__lte=at)
                    .order_by("-posted_at").values_list("balance_after", flat=True).first())
            result[row.account_id] += last or Decimal(0)
    return result


def _accrue_python(*, schedule: InterestRateSchedule, terms: calc.RateSchedule, days: list[dt.date],
                   cutoffs: list[dt.datetime], first_id: int, last_id: int) -> dict[str, tuple]:
    """The rows of one schedule's accounts of the chunk, computed in Python (every basis; the
    only path for the average-daily-balance basis and on SQLite)."""
    accounts = list(eligible_accounts().filter(id__gte=first_id, id__lte=last_id, currency_id=schedule.currency_id,
                                               product__interest_schedule_code=schedule.code)
                    .select_related("currency").order_by("id"))
    if not accounts:
        return {}
    version_ids = selectors.version_ids(schedule)
    balances = {cutoff: balances_at([a.ledger_account_id for a in accounts], cutoff) for cutoff in set(cutoffs)}
    ids = [a.pk for a in accounts]
    earliest = calc.period_bounds(schedule.capitalisation_frequency, days[0])[0]
    history: dict[int, list[InterestAccrual]] = defaultdict(list)
    for row in InterestAccrual.objects.filter(account_id__in=ids, business_date__gte=earliest).order_by(
            "account_id", "business_date"):
        history[row.account_id].append(row)
    previous = {}
    for row in (InterestAccrual.objects.filter(account_id__in=ids, business_date__lt=days[0])
                .order_by("account_id", "-business_date").distinct("account_id")
                if connection.vendor == "postgresql" else _last_rows_portable(ids, days[0])):
        previous[row.account_id] = row
    average = schedule.accrual_basis == calc.AccrualBasis.AVERAGE_DAILY
    new_rows: list[InterestAccrual] = []
    totals: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for account in accounts:
        opened_on = timezone.localtime(account.opened_at).date()
        rows = history[account.pk]
        existing = {row.business_date for row in rows}
        last = previous.get(account.pk)
        for day, cutoff in zip(days, cutoffs, strict=True):
            if day < opened_on or day in existing:
                continue
            try:
                version = terms.version_on(day)
            except calc.NoRateInForce:
                continue
            period_start = calc.period_bounds(schedule.capitalisation_frequency, day)[0]
            balance = balances[cutoff].get(account.ledger_account_id, Decimal(0))
            in_period = [r for r in rows if r.period_start == period_start and r.business_date < day]
            if average:
                to_date = [(r.business_date, r.balance) for r in in_period] + [(day, balance)]
                with localcontext() as ctx:
                    ctx.prec = WORKING_PRECISION
                    so_far = sum((r.amount for r in in_period), Decimal(0))
                amount = half_up(calc.average_accrual_increment(to_date, so_far, terms, schedule.convention,
                                                                period_start=period_start), STORAGE_EXPONENT)
                rate = day_rate(calc.average_daily_balance(b for _, b in to_date), version, terms)
            else:
                if balance == 0:
                    continue
                amount = day_amount(balance, terms, day, schedule.convention, period_start)
                rate = day_rate(balance, version, terms)
            carried = last.cumulative if last is not None and last.period_start == period_start else Decimal(0)
            with localcontext() as ctx:
                ctx.prec = WORKING_PRECISION
                cumulative = carried + amount
            row = InterestAccrual(
                account_id=account.pk, business_date=day, schedule=schedule,
                rate_version_id=version_ids[version.effective_from], balance=balance, rate=rate, amount=amount,
                convention=schedule.convention, period_start=period_start, cumulative=cumulative,
                posted=posted_part(cumulative, amount, account.currency.exponent),
            )
            new_rows.append(row)
            rows.append(row)
            last = row
            total = totals[account.currency_id]
            _add(total, 1, row.posted if row.posted > 0 else Decimal(0), row.posted if row.posted < 0 else Decimal(0))
    InterestAccrual.objects.bulk_create(new_rows, batch_size=2000)
    return {currency: tuple(values) for currency, values in totals.items()}


def _last_rows_portable(ids: list[int], before: dt.date) -> list[InterestAccrual]:
    last: dict[int, InterestAccrual] = {}
    for row in InterestAccrual.objects.filter(account_id__in=ids, business_date__lt=before).order_by("business_date"):
        last[row.account_id] = row
    return list(last.values())
