"""End-of-day steps for the framework's tests: each credits 1.00 to every ledger account of its
population through the ledger, once per account and date (the idempotency key)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core_banking.eod.step import Step
from core_banking.ledger.models import LedgerAccount
from core_banking.ledger.services import transfer

PREFIX = "EODT-"
SOURCE = "EODSRC"
# first_id -> failures still to raise (the flaky step), shared by the test and the step in-process.
FAILURES: dict[int, int] = {}
CALLS: list[tuple[str, int, int]] = []


def population(day: dt.date):
    return LedgerAccount.objects.filter(code__startswith=PREFIX).order_by("id").values_list("id", flat=True)


def _credit(tag: str, day: dt.date, first_id: int, last_id: int) -> int:
    CALLS.append((tag, first_id, last_id))
    source = LedgerAccount.objects.get(code=SOURCE)
    done = 0
    for account_id in population(day).filter(id__gte=first_id, id__lte=last_id):
        transfer(debit_account_id=source.pk, credit_account_id=account_id, amount=Decimal("1.00"),
                 idempotency_key=f"eodt:{tag}:{day.isoformat()}:{account_id}")
        done += 1
    return done


def credit(day, first_id, last_id):
    return _credit("credit", day, first_id, last_id)


def flaky(day, first_id, last_id):
    if FAILURES.get(first_id, 0) > 0:
        FAILURES[first_id] -= 1
        raise RuntimeError(f"flaky chunk starting at {first_id}")
    return _credit("flaky", day, first_id, last_id)


def nothing(day):
    return []


CREDIT = Step(name="test.credit", label="Credit one euro", population=population, run=credit, chunk_size=3)
FLAKY = Step(name="test.flaky", label="Credit one euro, failing at times", population=population, run=flaky,
             chunk_size=3)
EMPTY = Step(name="test.empty", label="Nothing to do", population=nothing, run=credit)


def slow(day, first_id, last_id):
    """Credits like ``credit``, slowly (0.1 s per account), so a test can kill a worker mid-run."""
    import time

    source = LedgerAccount.objects.get(code=SOURCE)
    done = 0
    for account_id in population(day).filter(id__gte=first_id, id__lte=last_id):
        time.sleep(0.1)
        transfer(debit_account_id=source.pk, credit_account_id=account_id, amount=Decimal("1.00"),
                 idempotency_key=f"eodt:slow:{day.isoformat()}:{account_id}")
        done += 1
    return done


SLOW = Step(name="test.slow", label="Credit one euro, slowly", population=population, run=slow, chunk_size=3)
