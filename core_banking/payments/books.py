"""Payments against the books: does every payment agree with its journal entries and holds?

A payment and the ledger can disagree only if something went around the payment's services (a
raw reversal of the payment's entry, an edit in the database, a bug). ``payments_books_check``
names each disagreement; ``manage.py verify_books`` prints them and fails. It checks:

* **status and entries**: a posted or returned payment has its entry, a payment that was never
  posted (initiated, pending review, rejected) has none; a returned payment has its return
  entry and no other payment does; each entry names its payment (``metadata.payment``);
* **no entry of a payment is reversed** outside the payment (the ledger refuses it now:
  ``payment_entry``; the check still finds one made before, or behind the application's back);
* **no orphan**: every journal entry that names a payment is that payment's entry or return;
* **holds**: a payment pending review has its pending hold; any other payment has no pending
  hold left;
* **amounts on the customer's accounts**: the net of the entry's postings on the debtor's and
  the creditor's ledger accounts is what the payment says (amount, target amount for FX, fee
  charged to the fee account), and a return moves back exactly the amount.

The structural checks are set-based (one query each); the amount check reads the postings of
the checked payments in chunks, one query per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.fields.json import KT

from core_banking.ledger.models import Hold, JournalEntry, Posting

from .models import Payment

Status = Payment.Status
NEVER_POSTED = (Status.INITIATED, Status.PENDING_REVIEW, Status.REJECTED)
POSTED_STATUSES = (Status.POSTED, Status.SENT, Status.SETTLED, Status.RETURNED)
CHUNK = 2000


@dataclass
class BooksReport:
    payments: int = 0
    problems: list[dict] = field(default_factory=list)
    problem_count: int = 0
    limit: int = 100

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, payment_id: int | None, reference: str, code: str, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.limit:
            self.problems.append({"payment_id": payment_id, "reference": reference, "code": code, "detail": detail})


def payments_books_check(*, limit: int = 100) -> BooksReport:
    """Compare every payment with its journal entries and holds; see the module docstring."""
    report = BooksReport(limit=limit)
    payments = Payment.objects.all()
    report.payments = payments.count()

    for pk, ref, status in payments.filter(status__in=POSTED_STATUSES, entry__isnull=True) \
            .values_list("pk", "reference", "status"):
        report.add(pk, ref, "posted_without_entry", f"payment {ref} is {status} but has no journal entry")
    for pk, ref, status, entry in payments.filter(status__in=NEVER_POSTED, entry__isnull=False) \
            .values_list("pk", "reference", "status", "entry_id"):
        report.add(pk, ref, "entry_without_posting", f"payment {ref} is {status} but has journal entry {entry}")
    for pk, ref in payments.filter(status=Status.RETURNED, return_entry__isnull=True).values_list("pk", "reference"):
        report.add(pk, ref, "returned_without_entry", f"payment {ref} is returned but has no return entry")
    for pk, ref, status, entry in payments.exclude(status=Status.RETURNED).filter(return_entry__isnull=False) \
            .values_list("pk", "reference", "status", "return_entry_id"):
        report.add(pk, ref, "return_entry_not_returned", f"payment {ref} is {status} but has return entry {entry}")

    for column, what in (("entry", "entry"), ("return_entry", "return entry")):
        named = payments.filter(**{f"{column}__isnull": False}).annotate(
            named=Subquery(JournalEntry.objects.filter(pk=OuterRef(f"{column}_id")).values(
                name=KT("metadata__payment"))[:1])).filter(Q(named__isnull=True) | ~Q(named=F("reference")))
        for pk, ref, entry in named.values_list("pk", "reference", f"{column}_id"):
            report.add(pk, ref, "entry_names_another_payment", f"the {what} {entry} of payment {ref} does not name it")
        reversed_ = payments.filter(**{f"{column}__isnull": False}).annotate(
            reversal=JournalEntry.objects.filter(reverses_id=OuterRef(f"{column}_id")).values("pk")[:1]
        ).filter(reversal__isnull=False)
        for pk, ref, entry, reversal in reversed_.values_list("pk", "reference", f"{column}_id", "reversal"):
            report.add(pk, ref, "payment_entry_reversed",
                       f"the {what} {entry} of payment {ref} was reversed outside the payment by entry {reversal}; "
                       "the customer's money moved twice if the payment was also returned")

    holders = Payment.objects.filter(Q(entry_id=OuterRef("pk")) | Q(return_entry_id=OuterRef("pk")))
    orphans = JournalEntry.objects.filter(metadata__has_key="payment").exclude(Exists(holders))
    for entry, name in orphans.values_list("pk", "metadata__payment"):
        report.add(None, str(name), "orphan_payment_entry",
                   f"journal entry {entry} names payment {name}, which does not hold it")

    pending = Hold.objects.filter(pk=OuterRef("hold_id"), status=Hold.Status.PENDING)
    for pk, ref, hold in payments.filter(status=Status.PENDING_REVIEW).exclude(Exists(pending)) \
            .values_list("pk", "reference", "hold_id"):
        report.add(pk, ref, "review_without_hold",
                   f"payment {ref} is pending review but its hold {hold or '(none)'} is not pending")
    for pk, ref, status, hold in payments.exclude(status=Status.PENDING_REVIEW).filter(Exists(pending)) \
            .values_list("pk", "reference", "status", "hold_id"):
        report.add(pk, ref, "hold_left_pending", f"payment {ref} is {status} but its hold {hold} is still pending")

    _check_amounts(report)
    return report


def _expected(payment) -> dict[tuple[int, str], Decimal]:
    """The net postings the payment's entry makes on its customers' ledger accounts."""
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    if payment["debtor"] is not None:
        sums[(payment["debtor"], payment["currency_id"])] += payment["amount"]
    if payment["creditor"] is not None:
        if payment["kind"] == Payment.Kind.FX_CONVERSION:
            sums[(payment["creditor"], payment["target_currency_id"])] -= payment["target_amount"]
        else:
            sums[(payment["creditor"], payment["currency_id"])] -= payment["amount"]
    if payment["fee_amount"]:
        fee_on_creditor = payment["kind"] in (Payment.Kind.INCOMING, Payment.Kind.CASH_DEPOSIT)
        fee_account = payment["creditor"] if fee_on_creditor else payment["debtor"]
        if fee_account is not None:
            sums[(fee_account, payment["fee_currency_id"])] += payment["fee_amount"]
    return {key: value for key, value in sums.items() if value != 0}


def _return_expected(payment) -> dict[tuple[int, str], Decimal]:
    if payment["kind"] == Payment.Kind.OUTGOING:
        return {(payment["debtor"], payment["currency_id"]): -payment["amount"]}
    return {(payment["creditor"], payment["currency_id"]): payment["amount"]}


def _check_amounts(report: BooksReport) -> None:
    rows = Payment.objects.filter(entry__isnull=False).order_by("pk").values(
        "pk", "reference", "kind", "amount", "currency_id", "target_amount", "target_currency_id", "fee_amount",
        "fee_currency_id", "entry_id", "return_entry_id",
        debtor=F("debtor_account__ledger_account_id"), creditor=F("creditor_account__ledger_account_id"))
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            return
        last = chunk[-1]["pk"]
        entries = {p["entry_id"] for p in chunk} | {p["return_entry_id"] for p in chunk if p["return_entry_id"]}
        accounts = {p["debtor"] for p in chunk} | {p["creditor"] for p in chunk}
        actual: dict[int, dict[tuple[int, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for entry, account, currency, amount in Posting.objects.filter(
                entry_id__in=entries, account_id__in=accounts - {None}).values_list(
                "entry_id", "account_id", "currency_id", "amount"):
            actual[entry][(account, currency)] += amount
        for payment in chunk:
            customer = {payment["debtor"], payment["creditor"]} - {None}
            for entry, expected in ((payment["entry_id"], _expected(payment)),
                                    (payment["return_entry_id"], _return_expected(payment))):
                if entry is None:
                    continue
                got = {key: value for key, value in actual[entry].items() if key[0] in customer and value != 0}
                if got != expected:
                    report.add(payment["pk"], payment["reference"], "amounts_disagree",
                               f"entry {entry} of payment {payment['reference']} moves {_show(got)} on the "
                               f"customer's accounts; the payment says {_show(expected)}")


def _show(sums: dict[tuple[int, str], Decimal]) -> str:
    if not sums:
        return "nothing"
    return ", ".join(f"{value.normalize():f} {currency} on ledger account {account}"
                     for (account, currency), value in sorted(sums.items()))
