"""Ledger reads for the API and the admin: lists and single rows, shaped for serialization.

``selectors.py`` holds the financial reads (balances, statements, the trial balance); this
module holds the plain lookups that the interfaces need, each returning a queryset that already
joins or prefetches what its serializer reads, so a page of results costs a fixed number of
queries however many rows and postings it holds.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import Hold, JournalEntry, LedgerAccount, Posting


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
) -> QuerySet[JournalEntry]:
    """Entries, newest first, with their postings. ``account_id``: entries with a posting on it."""
    entries = _entries().order_by("-id")
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


def journal_entry_get(*, entry_id: int) -> JournalEntry:
    entry = _entries().filter(pk=entry_id).first()
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
) -> QuerySet[LedgerAccount]:
    accounts = LedgerAccount.objects.select_related("currency")
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


def ledger_account_get(*, account_id: int) -> LedgerAccount:
    account = LedgerAccount.objects.select_related("currency").filter(pk=account_id).first()
    if account is None:
        raise exc.AccountNotFound(f"ledger account {account_id} does not exist")
    return account


def ledger_account_code_taken(*, code: str) -> bool:
    return LedgerAccount.objects.filter(code=code).exists()


def hold_get(*, hold_id: int) -> Hold:
    hold = Hold.objects.select_related("currency").filter(pk=hold_id).first()
    if hold is None:
        raise exc.HoldNotFound(f"hold {hold_id} does not exist")
    return hold
