"""Ledger reads: balances (now and at a point in time), statements, the trial balance, and the
lookups the API and the admin list and show.

Every balance read is an index lookup: the current balance is the sum of an account's shard
rows; a past balance is, per shard, the ``balance_after`` of the last posting at or before the
instant (index ``ledger_posting_position``: account, shard, posted_at). A business date maps to
the instant it was closed (``BusinessDay.closed_at``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from core_banking.common.money import quantize
from core_banking.config import cache
from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import AccountBalance, BusinessDay, Currency, Hold, JournalEntry, LedgerAccount, Posting


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: int
    currency: str
    posted: Decimal
    held: Decimal
    pending_in: Decimal
    available: Decimal
    as_of: dt.datetime | None = None


def account_balance(*, account_id: int, visible_to=None) -> Balance:
    account = ledger_account_get(account_id=account_id, visible_to=visible_to)
    totals = AccountBalance.objects.filter(account_id=account_id).aggregate(
        balance=Sum("balance"), held=Sum("held"), pending_in=Sum("pending_in")
    )
    exponent = account.currency.exponent
    posted = _q(totals["balance"], exponent)
    held = _q(totals["held"], exponent)
    return Balance(
        account_id=account_id, currency=account.currency_id, posted=posted, held=held,
        pending_in=_q(totals["pending_in"], exponent), available=posted - held,
    )


def _q(value: Decimal | None, exponent: int) -> Decimal:
    return quantize(value or Decimal(0), exponent)


def _all_currencies() -> dict[str, Currency]:
    return {c.code: c for c in Currency.objects.all()}


def currencies() -> dict[str, Currency]:
    """Every currency by code, cached per process until the ``currencies`` generation changes
    (``core_banking.config.cache``)."""
    return cache.get("currencies", "all", _all_currencies)


def currency_precheck(code: str) -> Currency | None:
    """The currency ``code`` as this process last cached it, without reading the generation, when
    that copy has it active; else (the copy would refuse it) as the confirmed read has it. A
    pre-check for a caller that checks the currency again in its transaction (``payment_create``)
    or leaves that to the service: it may let a stale currency through, never refuse a good one."""
    row = cache.peek("currencies", "all", _all_currencies).get(code)
    return row if row is not None and row.is_active else currencies().get(code)


OPEN_DAY_SQL = "SELECT date FROM ledger_business_day WHERE closed_at IS NULL"  # for callers that batch it


def business_date_current() -> dt.date:
    """The open business date, for readers: never writes. On a fresh ledger with no open day it
    is today's date in the bank's time zone, the day the first posting will open
    (``services.business_date_open``)."""
    day = BusinessDay.objects.filter(closed_at__isnull=True).values_list("date", flat=True).first()
    return day or timezone.localdate()


def business_date_cutoff(business_date: dt.date) -> dt.datetime | None:
    """The instant a business date closed, or None while it is still open (or in the future)."""
    day = BusinessDay.objects.filter(date__gte=business_date, closed_at__isnull=False).order_by("date").first()
    if day is None:
        return None
    if day.date == business_date:
        return day.closed_at
    # A date that was skipped (weekend, holiday) ends where the previous open day ended.
    previous = BusinessDay.objects.filter(date__lt=business_date, closed_at__isnull=False).order_by("-date").first()
    return previous.closed_at if previous else day.opened_at


def balance_as_of(*, account_id: int, at: dt.datetime | None = None, business_date: dt.date | None = None,
                  visible_to=None) -> Balance:
    """Posted balance at an instant, or at the close of a business date."""
    if visible_to is not None:
        ledger_account_get(account_id=account_id, visible_to=visible_to)
    if at is not None and business_date is not None:
        raise exc.InvalidEntry("give either an instant or a business date, not both")
    if business_date is not None:
        at = business_date_cutoff(business_date)
        if at is None:  # the business date is still open: its close is "now"
            return dataclasses.replace(account_balance(account_id=account_id), as_of=timezone.now())
    if at is None:
        at = timezone.now()
    account = ledger_account_get(account_id=account_id)
    total = Decimal(0)
    for shard in range(account.shard_count):
        last = (
            Posting.objects.filter(account_id=account_id, shard=shard, posted_at__lte=at)
            .order_by("-posted_at").values_list("balance_after", flat=True).first()
        )
        total += last or Decimal(0)
    posted = _q(total, account.currency.exponent)
    return Balance(account_id=account_id, currency=account.currency_id, posted=posted, held=Decimal(0),
                   pending_in=Decimal(0), available=posted, as_of=at)


@dataclass(frozen=True, slots=True)
class StatementLine:
    posting_id: int
    entry_id: int
    posted_at: dt.datetime
    business_date: dt.date
    value_date: dt.date
    external_ref: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Statement:
    account_id: int
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[StatementLine]
    truncated: bool = False


def account_statement(*, account_id: int, date_from: dt.date, date_to: dt.date, limit: int = 10000,
                      visible_to=None) -> Statement:
    """Statement by business date with a running balance. For a single-shard account (every
    customer account) the running balance is each posting's stored ``balance_after``; for a
    sharded account it is the opening balance plus the running sum."""
    account = ledger_account_get(account_id=account_id, visible_to=visible_to)
    if date_to < date_from:
        raise exc.InvalidEntry("the statement period ends before it starts")
    exponent = account.currency.exponent
    opening = balance_as_of(account_id=account_id, business_date=date_from - dt.timedelta(days=1)).posted \
        if BusinessDay.objects.filter(date__lt=date_from).exists() else Decimal(0)
    postings = list(
        Posting.objects.filter(account_id=account_id, business_date__gte=date_from, business_date__lte=date_to)
        .select_related("entry").order_by("posted_at", "id")[:limit + 1]
    )
    truncated = len(postings) > limit
    postings = postings[:limit]
    running = opening
    lines = []
    for p in postings:
        running += p.amount * account.sign
        balance = p.balance_after if account.shard_count == 1 else running
        lines.append(
            StatementLine(
                posting_id=p.pk, entry_id=p.entry_id, posted_at=p.posted_at, business_date=p.business_date,
                value_date=p.value_date, external_ref=p.entry.external_ref, description=p.entry.description,
                debit=_q(p.amount if p.amount > 0 else Decimal(0), exponent),
                credit=_q(-p.amount if p.amount < 0 else Decimal(0), exponent),
                balance=_q(balance, exponent),
            )
        )
    if truncated:  # the lines stop early; the closing balance is still the period's
        closing = balance_as_of(account_id=account_id, business_date=date_to).posted
    else:
        closing = lines[-1].balance if lines else _q(opening, exponent)
    return Statement(account_id=account_id, currency=account.currency_id, date_from=date_from, date_to=date_to,
                     opening_balance=_q(opening, exponent), closing_balance=closing, lines=lines,
                     truncated=truncated)


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account_id: int
    code: str
    name: str
    type: str
    currency: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: dt.date | None
    rows: list[TrialBalanceRow]
    totals: dict[str, tuple[Decimal, Decimal]]  # currency -> (debits, credits)

    @property
    def balanced(self) -> bool:
        return all(debit == credit for debit, credit in self.totals.values())


def trial_balance(*, as_of: dt.date | None = None, currency: str | None = None) -> TrialBalance:
    """Per account and currency: the balance in the debit or the credit column; per currency
    debits equal credits. ``as_of`` is a business date (its close); default: now."""
    cutoff = business_date_cutoff(as_of) if as_of else None
    accounts = LedgerAccount.objects.filter(is_synthetic=False).select_related("currency").order_by("code")
    if currency:
        accounts = accounts.filter(currency_id=currency)
    balances: dict[int, Decimal] = defaultdict(Decimal)
    with connection.cursor() as cursor:
        if cutoff is None:
            cursor.execute("SELECT account_id, SUM(balance) FROM ledger_balance GROUP BY account_id")
        else:
            cursor.execute(
                "SELECT b.account_id, SUM(COALESCE(("
                "  SELECT p.balance_after FROM ledger_posting p"
                "   WHERE p.account_id = b.account_id AND p.shard = b.shard AND p.posted_at <= %s"
                "   ORDER BY p.posted_at DESC LIMIT 1), 0))"
                " FROM ledger_balance b GROUP BY b.account_id",
                [cutoff],
            )
        for account_id, total in cursor.fetchall():
            balances[account_id] = Decimal(total or 0)
    rows, totals = [], defaultdict(lambda: [Decimal(0), Decimal(0)])
    for account in accounts:
        balance = balances.get(account.pk, Decimal(0))
        if balance == 0:
            continue
        signed_debit = balance * account.sign  # debits minus credits
        exponent = account.currency.exponent
        debit = _q(signed_debit if signed_debit > 0 else Decimal(0), exponent)
        credit = _q(-signed_debit if signed_debit < 0 else Decimal(0), exponent)
        rows.append(TrialBalanceRow(account_id=account.pk, code=account.code, name=account.name,
                                    type=account.type, currency=account.currency_id, debit=debit, credit=credit))
        totals[account.currency_id][0] += debit
        totals[account.currency_id][1] += credit
    return TrialBalance(as_of=as_of, rows=rows, totals={k: (v[0], v[1]) for k, v in sorted(totals.items())})


# --- client isolation (core_banking/common/visibility.py): ``visible_to`` is None (everything)
# or the user whose creations the caller sees. A ledger account is visible when that user opened
# it or it is the ledger account of a customer account whose customer that user onboarded (the
# reverse ``customer_account`` relation of core_banking.accounts); an entry when that user posted
# it or it touches a visible ledger account; a hold when that user placed it or it reserves funds
# on a visible ledger account.


def visible_ledger_accounts_q(visible_to, *, prefix: str = "") -> Q:
    return Q(**{f"{prefix}created_by": visible_to}) | Q(
        **{f"{prefix}customer_account__customer__created_by": visible_to}
    )


def _visible_entries_q(visible_to) -> Q:
    touching = Posting.objects.filter(visible_ledger_accounts_q(visible_to, prefix="account__")).values("entry_id")
    return Q(created_by=visible_to) | Q(pk__in=touching)


def _visible_holds_q(visible_to) -> Q:
    return Q(created_by=visible_to) | visible_ledger_accounts_q(visible_to, prefix="debit_account__")


def ledger_accounts_check_visible(account_ids, *, visible_to) -> None:
    """Raise AccountNotFound (404) for the first id the caller may not see (or that does not exist)."""
    if visible_to is None:
        return
    ids = {int(i) for i in account_ids if i is not None}
    seen = set(LedgerAccount.objects.filter(visible_ledger_accounts_q(visible_to), pk__in=ids)
               .values_list("pk", flat=True))
    for account_id in sorted(ids - seen):
        raise exc.AccountNotFound(f"ledger account {account_id} does not exist")


# --- lookups for the API and the admin: querysets that already join or prefetch what their
# serializers read, so a page costs a fixed number of queries however many rows it holds.


def _entries() -> QuerySet[JournalEntry]:
    reversal = JournalEntry.objects.filter(reverses_id=OuterRef("pk")).values("pk")[:1]
    return JournalEntry.objects.annotate(reversal_id=Subquery(reversal)).prefetch_related(
        # Postings in the order they were written; the currency join gives each amount its exponent.
        Prefetch("postings", queryset=Posting.objects.select_related("currency").order_by("id"))
    )


def journal_entry_list(
    *,
    account_id: int | None = None,
    external_ref: str | None = None,
    kind: str | None = None,
    business_date_from: dt.date | None = None,
    business_date_to: dt.date | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    visible_to=None,
) -> QuerySet[JournalEntry]:
    """Entries, newest first, with their postings. ``account_id``: entries with a posting on it."""
    entries = _entries().order_by("-id")
    if visible_to is not None:
        entries = entries.filter(_visible_entries_q(visible_to))
    if account_id is not None:
        entries = entries.filter(pk__in=Posting.objects.filter(account_id=account_id).values("entry_id"))
    if external_ref:
        entries = entries.filter(external_ref=external_ref)
    if kind:
        entries = entries.filter(kind=kind)
    if business_date_from is not None:
        entries = entries.filter(business_date__gte=business_date_from)
    if business_date_to is not None:
        entries = entries.filter(business_date__lte=business_date_to)
    if created_from is not None:
        entries = entries.filter(created_at__gte=created_from)
    if created_to is not None:
        entries = entries.filter(created_at__lt=created_to)
    return entries


def journal_entry_get(*, entry_id: int, visible_to=None) -> JournalEntry:
    entries = _entries().filter(pk=entry_id)
    if visible_to is not None:
        entries = entries.filter(_visible_entries_q(visible_to))
    entry = entries.first()
    if entry is None:
        raise exc.EntryNotFound(f"journal entry {entry_id} does not exist")
    return entry


def ledger_account_list(
    *,
    code_prefix: str | None = None,
    type: str | None = None,
    currency: str | None = None,
    is_synthetic: bool | None = None,
    parent_id: int | None = None,
    visible_to=None,
) -> QuerySet[LedgerAccount]:
    accounts = LedgerAccount.objects.select_related("currency")
    if visible_to is not None:
        accounts = accounts.filter(visible_ledger_accounts_q(visible_to))
    if code_prefix:
        accounts = accounts.filter(code__startswith=code_prefix)
    if type:
        accounts = accounts.filter(type=type)
    if currency:
        accounts = accounts.filter(currency_id=currency)
    if is_synthetic is not None:
        accounts = accounts.filter(is_synthetic=is_synthetic)
    if parent_id is not None:
        accounts = accounts.filter(parent_id=parent_id)
    return accounts


def ledger_account_get(*, account_id: int, visible_to=None) -> LedgerAccount:
    accounts = LedgerAccount.objects.select_related("currency").filter(pk=account_id)
    if visible_to is not None:
        accounts = accounts.filter(visible_ledger_accounts_q(visible_to))
    account = accounts.first()
    if account is None:
        raise exc.AccountNotFound(f"ledger account {account_id} does not exist")
    return account


def ledger_account_code_taken(*, code: str) -> bool:
    return LedgerAccount.objects.filter(code=code).exists()


def hold_get(*, hold_id: int, visible_to=None) -> Hold:
    holds = Hold.objects.select_related("currency").filter(pk=hold_id)
    if visible_to is not None:
        holds = holds.filter(_visible_holds_q(visible_to))
    hold = holds.first()
    if hold is None:
        raise exc.HoldNotFound(f"hold {hold_id} does not exist")
    return hold


# --- staff pages -----------------------------------------------------------------------------


def journal_entry_find(*, entry_id: int | None = None, external_ref: str = "", amount: Decimal | None = None,
                       limit: int = 20) -> list[JournalEntry]:
    """Entries for the staff search box: by id (the primary key), external reference (its index)
    or amount (an entry with a posting of that absolute amount, debit or credit: ``amount IN (a,
    -a)`` on the ``ledger_posting_amount`` index, migration 0007), exact, combined with OR, newest
    first, with their postings (one prefetch)."""
    condition = Q()
    if entry_id is not None:
        condition |= Q(pk=entry_id)
    if external_ref:
        condition |= Q(external_ref=external_ref.strip())
    if amount is not None and amount != 0:  # a posting is never zero (ledger_posting_amount_not_zero)
        amount = abs(Decimal(amount))
        condition |= Q(pk__in=Posting.objects.filter(amount__in=[amount, -amount]).values("entry_id"))
    if not condition:
        return []
    return list(JournalEntry.objects.prefetch_related(
        Prefetch("postings", queryset=Posting.objects.select_related("currency", "account").order_by("id")))
        .filter(condition).order_by("-id")[:limit])


def holds_for_accounts(*, ledger_account_ids, status: str = Hold.Status.PENDING, limit: int = 100) -> list[Hold]:
    """Holds on the given ledger accounts (either side), pending by default, newest first."""
    ids = [i for i in ledger_account_ids if i is not None]
    if not ids:
        return []
    holds = Hold.objects.filter(Q(debit_account_id__in=ids) | Q(credit_account_id__in=ids))
    if status:
        holds = holds.filter(status=status)
    return list(holds.select_related("currency", "debit_account", "credit_account").order_by("-created_at", "-id")
                [:limit])
