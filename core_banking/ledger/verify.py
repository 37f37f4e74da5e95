"""Recompute the ledger from its postings and check every invariant, independently of the
stored balances and of the triggers (an attacker or a bug may have bypassed both).

Checks:
* every entry has at least two postings and balances per currency; the whole ledger sums to
  zero per currency;
* every posting is in its account's currency and fits the currency's exponent;
* per balance shard: the ``balance_after`` chain equals the running sum of its postings, the
  positions (``posted_at``) strictly increase, and the stored balance and posting count equal
  the recomputed ones; the stored ``held``/``pending_in`` equal the pending holds;
* per hash chain: entries are numbered 1..n without gaps, each link equals
  sha256(previous link || digest of the entry's content as stored), the head row matches;
* a reversal's postings exactly negate the entry it reverses;
* every posting's entry exists, and every entry's chain (the database checks these references with
  triggers, not foreign keys: migration 0009).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef

from core_banking.common.money import places
from core_banking.ledger.hashing import GENESIS, chain_next, entry_content_digest
from core_banking.ledger.models import (
    DEBIT_NORMAL_TYPES,
    AccountBalance,
    Currency,
    Hold,
    JournalEntry,
    LedgerAccount,
    LedgerChain,
    Posting,
)

MAX_REPORTED = 50


def _show(amount: Decimal) -> str:
    """An amount as people write it: no exponent, no trailing zeros beyond the integer."""
    return format(amount.normalize(), "f")
CHUNK = 5000


@dataclass
class Report:
    entries: int = 0
    postings: int = 0
    shards: int = 0
    chains: int = 0
    totals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    def fail(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(message)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "postings": self.postings,
            "balance_shards": self.shards,
            "hash_chains": self.chains,
            "sum_per_currency": {k: str(v) for k, v in sorted(self.totals.items())},
            "problems": self.problem_count,
        }


def verify_ledger() -> Report:
    report = Report()
    _verify_postings_and_balances(report)
    _verify_holds(report)
    _verify_entries_and_chains(report)
    _verify_references(report)
    for currency, total in report.totals.items():
        if total != 0:
            report.fail(f"the ledger does not sum to zero in {currency}: {total:+}")
    return report


def _verify_postings_and_balances(report: Report) -> None:
    accounts = {
        a["id"]: a for a in LedgerAccount.objects.values("id", "type", "currency_id", "shard_count")
    }
    exponents = dict(Currency.objects.values_list("code", "exponent"))
    stored = {
        (b["account_id"], b["shard"]): b
        for b in AccountBalance.objects.values("account_id", "shard", "balance", "posting_count", "last_posted_at")
    }
    report.shards = len(stored)
    recomputed: dict[tuple[int, int], list] = {}
    key, running, count, last_at = None, Decimal(0), 0, None
    rows = Posting.objects.order_by("account_id", "shard", "posted_at", "id").values_list(
        "id", "entry_id", "account_id", "shard", "currency_id", "amount", "balance_after", "posted_at"
    )

    def close(current_key):
        if current_key is not None:
            recomputed[current_key] = [running, count, last_at]

    for posting_id, entry_id, account_id, shard, currency, amount, balance_after, posted_at in rows.iterator(
        chunk_size=CHUNK
    ):
        report.postings += 1
        account = accounts.get(account_id)
        if account is None:
            report.fail(f"posting {posting_id} refers to missing account {account_id}")
            continue
        if (account_id, shard) != key:
            close(key)
            key, running, count, last_at = (account_id, shard), Decimal(0), 0, None
        sign = 1 if account["type"] in DEBIT_NORMAL_TYPES else -1
        if currency != account["currency_id"]:
            report.fail(f"posting {posting_id} (entry {entry_id}) is in {currency}, account {account_id} in "
                        f"{account['currency_id']}")
        if places(amount) > exponents.get(currency, 18):
            report.fail(f"posting {posting_id} (entry {entry_id}) amount {_show(amount)} "
                        f"exceeds the {currency} exponent")
        if last_at is not None and posted_at <= last_at:
            report.fail(f"posting {posting_id} is not after the previous posting of account {account_id}/{shard}")
        running += amount * sign
        count += 1
        last_at = posted_at
        report.totals[currency] += amount
        if balance_after != running:
            report.fail(f"posting {posting_id} (entry {entry_id}) records balance {_show(balance_after)} after it, "
                        f"the postings give {_show(running)} (account {account_id}/{shard})")
    close(key)
    for (account_id, shard), row in stored.items():
        balance, n, _ = recomputed.get((account_id, shard), [Decimal(0), 0, None])
        if row["balance"] != balance:
            report.fail(f"account {account_id}/{shard} stores balance {_show(row['balance'])}, "
                        f"its postings give {_show(balance)}")
        if row["posting_count"] != n:
            report.fail(f"account {account_id}/{shard} stores {row['posting_count']} postings, there are {n}")
    for missing in set(recomputed) - set(stored):
        report.fail(f"postings exist for account {missing[0]} shard {missing[1]}, which has no balance row")


def _verify_holds(report: Report) -> None:
    signs = {
        a_id: (1 if a_type in DEBIT_NORMAL_TYPES else -1)
        for a_id, a_type in LedgerAccount.objects.values_list("id", "type")
    }
    held, pending = defaultdict(Decimal), defaultdict(Decimal)
    for hold in Hold.objects.filter(status=Hold.Status.PENDING).values(
        "debit_account_id", "credit_account_id", "debit_shard", "credit_shard", "amount"
    ):
        for account_id, shard, signed in (
            (hold["debit_account_id"], hold["debit_shard"], hold["amount"]),
            (hold["credit_account_id"], hold["credit_shard"], -hold["amount"]),
        ):
            target = held if signed * signs[account_id] < 0 else pending
            target[(account_id, shard)] += hold["amount"]
    for account_id, shard, row_held, row_pending in AccountBalance.objects.values_list(
        "account_id", "shard", "held", "pending_in"
    ).iterator(chunk_size=CHUNK):
        if row_held != held.get((account_id, shard), Decimal(0)):
            report.fail(f"account {account_id}/{shard} stores {_show(row_held)} held, pending holds give "
                        f"{_show(held.get((account_id, shard), Decimal(0)))}")
        if row_pending != pending.get((account_id, shard), Decimal(0)):
            report.fail(f"account {account_id}/{shard} stores {_show(row_pending)} pending in, pending holds give "
                        f"{_show(pending.get((account_id, shard), Decimal(0)))}")


def _verify_entries_and_chains(report: Report) -> None:
    for chain in LedgerChain.objects.order_by("id"):
        head, expected_seq = GENESIS, 0
        entries = JournalEntry.objects.filter(chain_id=chain.id).order_by("chain_seq")
        batch: list[JournalEntry] = []
        for entry in entries.iterator(chunk_size=CHUNK):
            batch.append(entry)
            if len(batch) >= 1000:
                head, expected_seq = _verify_batch(report, batch, head, expected_seq)
                batch = []
        if batch:
            head, expected_seq = _verify_batch(report, batch, head, expected_seq)
        if expected_seq:
            report.chains += 1
        if chain.length != expected_seq or chain.head != head:
            report.fail(f"hash chain {chain.id}: head row says length {chain.length}, the entries give "
                        f"{expected_seq} (or the head hash differs)")


def _verify_references(report: Report) -> None:
    """Rows the walks above never reach: postings of no entry (the balance walk counts them, the
    chain walk never sees them) and entries on no chain (the chain walk never sees them)."""
    orphans = Posting.objects.filter(~Exists(JournalEntry.objects.filter(pk=OuterRef("entry_id"))))
    for posting_id, entry_id in orphans.order_by("id").values_list("id", "entry_id")[:MAX_REPORTED]:
        report.fail(f"posting {posting_id} refers to missing entry {entry_id}")
    unchained = JournalEntry.objects.filter(~Exists(LedgerChain.objects.filter(pk=OuterRef("chain_id"))))
    for entry_id, chain_id in unchained.order_by("id").values_list("id", "chain_id")[:MAX_REPORTED]:
        report.fail(f"entry {entry_id} is on hash chain {chain_id}, which does not exist (never verified)")


def _verify_batch(report: Report, batch, head: str, expected_seq: int) -> tuple[str, int]:
    postings: dict[int, list] = defaultdict(list)
    for entry_id, account_id, currency, amount in Posting.objects.filter(
        entry_id__in=[e.pk for e in batch]
    ).order_by("entry_id", "id").values_list("entry_id", "account_id", "currency_id", "amount"):
        postings[entry_id].append((account_id, currency, amount))
    reversed_ids = [e.reverses_id for e in batch if e.reverses_id]
    originals: dict[int, list] = defaultdict(list)
    for entry_id, account_id, currency, amount in Posting.objects.filter(entry_id__in=reversed_ids).order_by(
        "entry_id", "id"
    ).values_list("entry_id", "account_id", "currency_id", "amount"):
        originals[entry_id].append((account_id, currency, amount))
    for entry in batch:
        report.entries += 1
        expected_seq += 1
        if entry.chain_seq != expected_seq:
            report.fail(f"hash chain {entry.chain_id}: entry {entry.pk} is at position {entry.chain_seq}, "
                        f"expected {expected_seq} (an entry is missing)")
            expected_seq = entry.chain_seq
        legs = postings.get(entry.pk, [])
        if len(legs) < 2:
            report.fail(f"entry {entry.pk} has {len(legs)} posting(s)")
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for _account, currency, amount in legs:
            sums[currency] += amount
        for currency, total in sums.items():
            if total != 0:
                report.fail(f"entry {entry.pk} does not balance in {currency}: {total:+}")
        if entry.reverses_id:
            mirrored = [(a, c, -m) for a, c, m in originals.get(entry.reverses_id, [])]
            if sorted(mirrored) != sorted(legs):
                report.fail(f"reversal {entry.pk} does not mirror entry {entry.reverses_id}")
        content = entry_content_digest(
            kind=entry.kind, business_date=entry.business_date, value_date=entry.value_date,
            created_at=entry.created_at, external_ref=entry.external_ref, description=entry.description,
            metadata=entry.metadata, created_by_id=entry.created_by_id,
            idempotency_scope=entry.idempotency_scope, idempotency_key=entry.idempotency_key,
            reverses_id=entry.reverses_id, postings=legs,
        )
        head = chain_next(head, content)
        if entry.hash != head:
            report.fail(f"entry {entry.pk}: hash chain {entry.chain_id} broken at position {entry.chain_seq} "
                        "(its content or an earlier entry was changed)")
            head = entry.hash  # resynchronise so one edit is reported once
    return head, expected_seq
