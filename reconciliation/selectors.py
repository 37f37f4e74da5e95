"""Reconciliation reads shared by the staff pages and the REST API: the overview per external
account, the workspace (open lines and postings, suggestions, recent matches), the breaks board
with its age buckets, the ageing report and the safeguarding history with its CSV export.

Amounts stay ``Decimal`` and are written as strings (never floats)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from .models import (
    AMOUNT,
    Break,
    ExternalAccount,
    LineStatus,
    Match,
    MatchLine,
    MatchPosting,
    MatchState,
    SafeguardingCheck,
    Statement,
    StatementLine,
)

#: Age buckets of breaks, by days since the item's value date: (code, label, min days, max days).
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-2d", "0-2 days", 0, 2),
    ("3-7d", "3-7 days", 3, 7),
    ("8-30d", "8-30 days", 8, 30),
    ("over-30d", "Over 30 days", 31, None),
)
BUCKET_CODES = tuple(code for code, *_ in AGE_BUCKETS)
OPEN_BREAK_STATES = (Break.Status.OPEN, Break.Status.INVESTIGATING)
ZERO = Decimal(0)


def today() -> dt.date:
    return timezone.localdate()


def age_bucket(days: int) -> str:
    """The bucket of an age in days (a future value date counts as 0 days)."""
    for code, _label, _low, high in AGE_BUCKETS:
        if high is None or days <= high:
            return code
    return AGE_BUCKETS[-1][0]  # pragma: no cover


def _bucket_q(bucket: str, as_of: dt.date) -> Q:
    for code, _label, low, high in AGE_BUCKETS:
        if code == bucket:
            q = Q(item_date__lte=as_of - dt.timedelta(days=low)) if low else Q()
            if high is not None:
                q &= Q(item_date__gte=as_of - dt.timedelta(days=high))
            return q
    raise ValueError(f"unknown age bucket {bucket!r}")


def _bucket_case(as_of: dt.date) -> Case:
    whens = [When(item_date__gte=as_of - dt.timedelta(days=high), then=Value(code))
             for code, _label, _low, high in AGE_BUCKETS if high is not None]
    return Case(*whens, default=Value(AGE_BUCKETS[-1][0]), output_field=CharField())


# --- overview ----------------------------------------------------------------------------------


def open_postings(account: ExternalAccount) -> QuerySet:
    """Postings of the account's mirror ledger account that are in no active match."""
    from core_banking.ledger.models import Posting

    active = MatchPosting.objects.filter(posting_id=OuterRef("pk"), state=MatchState.MATCHED)
    suggested = MatchPosting.objects.filter(posting_id=OuterRef("pk"), state=MatchState.SUGGESTED)
    return (Posting.objects.filter(account_id=account.ledger_account_id).filter(~Exists(active))
            .annotate(suggested=Exists(suggested),
                      payment_reference=KeyTextTransform("payment_reference", "entry__metadata"))
            .select_related("entry"))


def account_overview() -> list[dict[str, Any]]:
    """Per external account: its mirror ledger account, last statement, and what is open."""
    from core_banking.ledger.models import Posting

    def scalar(queryset, column="n"):
        return Coalesce(Subquery(queryset.values(column)[:1]), 0)

    lines = (StatementLine.objects.filter(external_account_id=OuterRef("pk")).exclude(status=LineStatus.MATCHED)
             .order_by().values("external_account_id").annotate(n=Count("pk")))
    postings = (Posting.objects.filter(account_id=OuterRef("ledger_account_id"))
                .filter(~Exists(MatchPosting.objects.filter(posting_id=OuterRef("pk"), state=MatchState.MATCHED)))
                .order_by().values("account_id").annotate(n=Count("pk")))
    suggestions = (Match.objects.filter(external_account_id=OuterRef("pk"), state=MatchState.SUGGESTED)
                   .order_by().values("external_account_id").annotate(n=Count("pk")))
    breaks = (Break.objects.filter(external_account_id=OuterRef("pk"), status__in=OPEN_BREAK_STATES)
              .order_by().values("external_account_id").annotate(n=Count("pk")))
    accounts = (ExternalAccount.objects.select_related("ledger_account", "currency")
                .annotate(open_lines=scalar(lines), open_postings=scalar(postings),
                          suggestions=scalar(suggestions), open_breaks=scalar(breaks))
                .order_by("-is_active", "name", "pk"))
    rows = []
    for account in accounts:
        last = (Statement.objects.filter(external_account=account).order_by("-period_to", "-id")
                .only("period_to", "closing_balance", "balanced").first())
        rows.append({"account": account, "last_statement": last})
    return rows


# --- workspace ---------------------------------------------------------------------------------


def _amount_date_filter(queryset, *, date_from=None, date_to=None, amount_min=None, amount_max=None):
    if date_from:
        queryset = queryset.filter(value_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(value_date__lte=date_to)
    if amount_min is not None:
        queryset = queryset.filter(amount__gte=amount_min)
    if amount_max is not None:
        queryset = queryset.filter(amount__lte=amount_max)
    return queryset


def workspace_lines(account: ExternalAccount, **filters) -> QuerySet:
    """The account's statement lines not yet matched (unmatched or suggested), oldest first."""
    lines = StatementLine.objects.filter(external_account=account).exclude(status=LineStatus.MATCHED)
    return _amount_date_filter(lines, **filters).select_related("statement").order_by("value_date", "id")


def workspace_postings(account: ExternalAccount, **filters) -> QuerySet:
    return _amount_date_filter(open_postings(account), **filters).order_by("value_date", "id")


def _with_items(matches: list[Match]) -> list[Match]:
    from core_banking.ledger.models import Posting

    ids = [m.pk for m in matches]
    line_links = MatchLine.objects.filter(match_id__in=ids).select_related("line").order_by("line_id")
    posting_links = MatchPosting.objects.filter(match_id__in=ids).order_by("posting_id")
    postings = Posting.objects.select_related("entry").in_bulk([link.posting_id for link in posting_links])
    by_match: dict[int, dict[str, list]] = {pk: {"lines": [], "postings": []} for pk in ids}
    for link in line_links:
        by_match[link.match_id]["lines"].append(link.line)
    for link in posting_links:
        by_match[link.match_id]["postings"].append(postings[link.posting_id])
    for match in matches:
        match.lines = by_match[match.pk]["lines"]
        match.postings = by_match[match.pk]["postings"]
        match.lines_total = sum((line.amount for line in match.lines), ZERO)
        match.postings_total = sum((p.amount for p in match.postings), ZERO)
    return matches


def suggestions(account: ExternalAccount, limit: int) -> list[Match]:
    return _with_items(list(Match.objects.filter(external_account=account, state=MatchState.SUGGESTED)
                            .order_by("pk")[:limit]))


def recent_matches(account: ExternalAccount, limit: int) -> list[Match]:
    return _with_items(list(Match.objects.filter(external_account=account, state=MatchState.MATCHED)
                            .select_related("matched_by").order_by("-matched_at", "-pk")[:limit]))


def recent_unmatches(account: ExternalAccount, limit: int) -> list[Match]:
    return list(Match.objects.filter(external_account=account, state=MatchState.UNMATCHED)
                .select_related("unmatched_by").order_by("-unmatched_at", "-pk")[:limit])


# --- breaks ------------------------------------------------------------------------------------


def break_search(*, status: str = "", open_only: bool = False, root_cause: str | None = None,
                 owner_id: int | None = None, external_account_id: int | None = None, bucket: str = "",
                 as_of: dt.date | None = None) -> QuerySet[Break]:
    """Breaks filtered and annotated with ``age_bucket`` and ``currency``, oldest item first."""
    as_of = as_of or today()
    breaks = Break.objects.select_related("external_account", "owner", "line", "line__statement")
    if status:
        breaks = breaks.filter(status=status)
    if open_only:
        breaks = breaks.filter(status__in=OPEN_BREAK_STATES)
    if root_cause is not None:
        breaks = breaks.filter(root_cause=root_cause)
    if owner_id:
        breaks = breaks.filter(owner_id=owner_id)
    if external_account_id:
        breaks = breaks.filter(external_account_id=external_account_id)
    if bucket:
        breaks = breaks.filter(_bucket_q(bucket, as_of))
    return breaks.annotate(age_bucket=_bucket_case(as_of), currency=F("external_account__currency_id")).order_by(
        "item_date", "id")


def breaks_ageing(*, as_of: dt.date | None = None, external_account_id: int | None = None,
                  include_closed: bool = False) -> list[dict[str, Any]]:
    """Count and amount of breaks per currency x state x age bucket (only non-empty cells).
    ``amount`` is the sum of the absolute amounts (what is out of balance either way), ``net``
    the signed sum. Outstanding breaks (open, investigating) unless ``include_closed``."""
    as_of = as_of or today()
    breaks = Break.objects.all()
    if not include_closed:
        breaks = breaks.filter(status__in=OPEN_BREAK_STATES)
    if external_account_id:
        breaks = breaks.filter(external_account_id=external_account_id)
    amount = DecimalField(**AMOUNT)
    rows = (breaks.annotate(bucket=_bucket_case(as_of), currency=F("external_account__currency_id"))
            .order_by().values("currency", "status", "bucket")
            .annotate(n=Count("pk"), gross=Sum(Abs("amount"), output_field=amount),
                      signed=Sum("amount", output_field=amount)))
    state_rank = {state: i for i, state in enumerate(Break.Status.values)}
    bucket_rank = {code: i for i, code in enumerate(BUCKET_CODES)}
    exponents = currency_exponents()
    result = [{"currency": r["currency"], "status": r["status"], "bucket": r["bucket"], "count": r["n"],
               "amount": amount_plain(r["gross"] or ZERO, exponents.get(r["currency"], 2)),
               "net": amount_plain(r["signed"] or ZERO, exponents.get(r["currency"], 2))} for r in rows]
    result.sort(key=lambda r: (r["currency"], state_rank[r["status"]], bucket_rank[r["bucket"]]))
    return result


def currency_exponents() -> dict[str, int]:
    from core_banking.ledger.models import Currency

    return dict(Currency.objects.values_list("code", "exponent"))


def amount_plain(value: Decimal, exponent: int = 2) -> Decimal:
    """``value`` without the storage's trailing zeros but with at least the currency's decimals
    (``Decimal("100.000000000000000000")`` -> ``100.00`` for EUR; no rounding ever)."""
    value = value.normalize()
    if -value.as_tuple().exponent < exponent:
        value = value.quantize(Decimal(1).scaleb(-exponent))
    return value


def ageing_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ageing rows as a table per currency: one row per state, one cell per bucket, totals."""
    tables: dict[str, dict[str, Any]] = {}
    for row in rows:
        table = tables.setdefault(row["currency"], {"currency": row["currency"], "states": {}})
        state = table["states"].setdefault(row["status"], {b: {"count": 0, "amount": ZERO} for b in BUCKET_CODES})
        state[row["bucket"]] = {"count": row["count"], "amount": row["amount"]}
    result = []
    for currency, table in sorted(tables.items()):
        states = []
        totals = {b: {"count": 0, "amount": ZERO} for b in BUCKET_CODES}
        for status in Break.Status.values:
            if status not in table["states"]:
                continue
            cells = [table["states"][status][b] for b in BUCKET_CODES]
            for b, cell in zip(BUCKET_CODES, cells, strict=True):
                totals[b]["count"] += cell["count"]
                totals[b]["amount"] += cell["amount"]
            states.append({"status": status, "label": Break.Status(status).label, "cells": cells,
                           "count": sum(c["count"] for c in cells),
                           "amount": sum((c["amount"] for c in cells), ZERO)})
        result.append({"currency": currency, "states": states, "totals": [totals[b] for b in BUCKET_CODES],
                       "count": sum(t["count"] for t in totals.values()),
                       "amount": sum((t["amount"] for t in totals.values()), ZERO)})
    return result


# --- safeguarding ------------------------------------------------------------------------------


def safeguarding_history(*, date_from: dt.date | None = None, date_to: dt.date | None = None,
                         currency: str = "", outcome: str = "") -> QuerySet[SafeguardingCheck]:
    checks = SafeguardingCheck.objects.all()
    if date_from:
        checks = checks.filter(date__gte=date_from)
    if date_to:
        checks = checks.filter(date__lte=date_to)
    if currency:
        checks = checks.filter(currency_id=currency)
    if outcome:
        checks = checks.filter(outcome=outcome)
    return checks.order_by("-date", "currency_id")


SAFEGUARDING_CSV_HEADER = ["date", "currency", "client_money", "safeguarded", "difference", "outcome"]


def safeguarding_csv(checks) -> str:
    """The checks as CSV (amounts as Decimal strings with the currency's decimals, outcome codes
    ``ok`` / ``shortfall`` / ``excess``)."""
    exponents = currency_exponents()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SAFEGUARDING_CSV_HEADER)
    for check in checks:
        exp = exponents.get(check.currency_id, 2)
        writer.writerow([check.date.isoformat(), check.currency_id,
                         *(format(amount_plain(v, exp), "f") for v in (check.client_money, check.safeguarded,
                                                                       check.difference)),
                         check.outcome])
    return out.getvalue()


# --- staff pages: the payment's story and the operations dashboard --------------------------------


def matches_for_postings(posting_ids) -> list[Match]:
    """The matches (active or suggested; undone ones too, marked) that hold any of the given
    ledger postings, with their statement lines: one query for the links, one for the lines."""
    ids = [i for i in posting_ids if i is not None]
    if not ids:
        return []
    match_ids = set(MatchPosting.objects.filter(posting_id__in=ids).values_list("match_id", flat=True))
    if not match_ids:
        return []
    matches = list(Match.objects.filter(pk__in=match_ids).select_related("external_account", "matched_by")
                   .order_by("-id"))
    return _with_items(matches)


def match_rate(*, since: dt.date) -> dict[str, Any]:
    """Statement lines booked since ``since``: how many, how many matched, the rate (percent)."""
    counts = (StatementLine.objects.filter(booking_date__gte=since)
              .aggregate(total=Count("id"), matched=Count("id", filter=Q(status=LineStatus.MATCHED))))
    total, matched = counts["total"] or 0, counts["matched"] or 0
    return {"total": total, "matched": matched, "rate": round(100 * matched / total, 1) if total else None}


def open_breaks_summary() -> dict[str, Any]:
    """Open breaks (open or investigating) per ageing bucket and in total."""
    rows = breaks_ageing(as_of=today())
    buckets = {code: 0 for code, *_ in AGE_BUCKETS}
    for row in rows:
        buckets[row["bucket"]] = buckets.get(row["bucket"], 0) + row.get("count", 0)
    return {"total": sum(buckets.values()),
            "buckets": [{"bucket": label, "count": buckets[code]} for code, label, *_ in AGE_BUCKETS]}


def safeguarding_latest() -> list[SafeguardingCheck]:
    """The latest safeguarding check per currency (one query: DISTINCT ON on PostgreSQL, a
    grouped sub-select elsewhere)."""
    from django.db import connection

    checks = SafeguardingCheck.objects.select_related("currency")
    if connection.vendor == "postgresql":
        return list(checks.order_by("currency_id", "-date").distinct("currency_id"))
    latest = SafeguardingCheck.objects.filter(currency_id=OuterRef("currency_id")).order_by("-date").values("pk")[:1]
    return list(checks.filter(pk=Subquery(latest)).order_by("currency_id"))
