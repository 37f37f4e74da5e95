"""The accounts' end-of-day step (the contract: ``core_banking/eod/step.py``).

``DORMANCY`` marks dormant, on business date ``D``, every *active* account that has been idle for
``ACCOUNT_DORMANCY_DAYS`` days (default 365): no customer posting and no (re)activation after the
close of business date ``D - N`` (``selectors.business_date_cutoff``). With N = 365, an account
whose last customer payment was on 10 January 2026 becomes dormant at the end of day of
10 January 2027, not of 9 January.

* **Customer postings** are the ledger entries of payments (``metadata`` has ``payment``, the
  key the payments engine writes on every entry it posts: transfers in and out, external
  payments, cash, FX, a payment released after review) except a payment's return
  (``return_of``: the beneficiary's bank sent it back, the customer did nothing), and the
  opening of a term deposit from the account (``deposits: open``, the customer's own
  instruction). The bank's postings do not count: interest, fees, loan collections and
  disbursements, deposit payouts, manual adjustments, direct ledger transfers.
* **The clock starts** at the later of the last customer posting and the last time the account
  became active (opened active or activated, reactivated, unfrozen, unblocked: its latest
  ``AccountStatusChange`` to ``active``), so that a reactivated account gets N days again.
* Only ``active`` accounts: a frozen or blocked account is already restricted by staff; a
  dormant one stays dormant until staff reactivate it (``reactivate``, KYC re-checked, reason
  required: the transition table's staff action). Money may still arrive on a dormant account;
  it does not wake it.

Set-based, one chunk of account ids per call: one query finds the idle accounts of the chunk
(a ``NOT EXISTS`` per account on the index ``ledger_posting(account, shard, posted_at)``, index
condition ``account_id = ? AND posted_at > threshold``: only the postings after the threshold
reach the entry's metadata, and the first customer one ends the look-up); one locks them
(``FOR UPDATE``: it waits for payments in flight, which hold their accounts ``FOR SHARE``); one
UPDATE re-checks the condition with a fresh snapshot and marks them (``RETURNING`` the ones it
marked); then one INSERT of history rows (``AccountStatusChange``) and one of audit events
(``account.dormant``), all in one transaction. The status field is protected (django-fsm): the
UPDATE writes it, as ``loans.eod.accrue`` does for loans. Idempotent: a marked account is no
longer active.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core_banking.audit.services import audit_record_many
from core_banking.eod.step import Step
from core_banking.ledger.models import BusinessDay, JournalEntry, Posting
from core_banking.ledger.selectors import business_date_cutoff

from . import transitions
from .models import Account, AccountStatusChange

MARK_DORMANT = transitions.BY_NAME["mark_dormant"]

#: Which journal entries are the customer's own (``e`` is ``ledger_entry``): see the module doc.
CUSTOMER_ENTRY_SQL = ("((e.metadata ? 'payment' AND NOT e.metadata ? 'return_of') "
                      "OR e.metadata @> '{\"deposits\": \"open\"}'::jsonb)")


def dormancy_days() -> int:
    return int(getattr(settings, "ACCOUNT_DORMANCY_DAYS", 365))


def threshold(business_date: dt.date) -> dt.datetime | None:
    """The instant after which an account must have had customer activity not to be dormant on
    ``business_date``: the close of ``business_date - N``. None when that date lies before the
    ledger's first business date (no account can have been idle that long) or is not closed."""
    since = business_date - dt.timedelta(days=dormancy_days())
    first = BusinessDay.objects.order_by("date").values_list("date", flat=True).first()
    if first is None or since < first:
        return None
    return business_date_cutoff(since)


def _idle_sql(where: str) -> str:
    """SELECT the ids of the active accounts matching ``where`` idle since %(since)s."""
    account = Account._meta.db_table
    history = AccountStatusChange._meta.db_table
    posting = Posting._meta.db_table
    entry = JournalEntry._meta.db_table
    return f"""
        SELECT a.id FROM {account} a
        WHERE {where} AND a.status = 'active'
          AND COALESCE(a.activated_at, a.opened_at) <= %(since)s
          AND NOT EXISTS (SELECT 1 FROM {history} h
                          WHERE h.account_id = a.id AND h.to_status = 'active' AND h.at > %(since)s)
          AND NOT EXISTS (
              SELECT 1 FROM {posting} p JOIN {entry} e ON e.id = p.entry_id
              WHERE p.account_id = a.ledger_account_id
                AND p.posted_at > %(since)s
                AND {CUSTOMER_ENTRY_SQL})
    """


def population(business_date: dt.date):
    """Ids (in order) of the active accounts that may be idle on ``business_date``: active and
    activated before the threshold (the run checks their postings, chunk by chunk)."""
    since = threshold(business_date)
    if since is None:
        return Account.objects.none().values_list("id", flat=True)
    return (Account.objects.filter(status=Account.Status.ACTIVE, activated_at__lte=since)
            .order_by("id").values_list("id", flat=True))


def mark_dormant(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Mark the chunk's idle active accounts dormant; returns how many were marked now."""
    since = threshold(business_date)
    if since is None:
        return 0
    params = {"since": since, "first_id": first_id, "last_id": last_id}
    with connection.cursor() as cursor:
        cursor.execute(_idle_sql("a.id BETWEEN %(first_id)s AND %(last_id)s") + " ORDER BY a.id", params)
        idle = [row[0] for row in cursor.fetchall()]
    if not idle:
        return 0
    days = dormancy_days()
    reason = f"no customer activity for {days} days (end of day {business_date.isoformat()})"
    with transaction.atomic():
        # Lock first (waits for payments in flight), then re-check in a new statement, which
        # sees what they committed: an account paid from a moment ago stays active.
        locked = list(Account.objects.select_for_update().filter(id__in=idle, status=Account.Status.ACTIVE)
                      .order_by("id").values_list("id", flat=True))
        if not locked:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Account._meta.db_table} SET status = 'dormant', status_reason = %(reason)s "
                f"WHERE id IN ({_idle_sql('a.id = ANY(%(locked)s)')}) RETURNING id",
                {**params, "locked": locked, "reason": reason})
            marked = sorted(row[0] for row in cursor.fetchall())
        if not marked:
            return 0
        now = timezone.now()
        AccountStatusChange.objects.bulk_create(
            AccountStatusChange(account_id=account_id, from_status=Account.Status.ACTIVE,
                                to_status=Account.Status.DORMANT, reason=reason, at=now)
            for account_id in marked)
        audit_record_many({"action": MARK_DORMANT.audit_action, "object_type": Account._meta.label_lower,
                           "object_id": account_id, "before": {"status": "active"},
                           "after": {"status": "dormant"}, "changes": ["status"], "reason": reason}
                          for account_id in marked)
    return len(marked)


DORMANCY = Step(name="accounts.dormancy", label="Detect dormant accounts", population=population, run=mark_dormant)
