"""What an end-of-day step is: the contract between the EOD framework (``core_banking.eod``) and
the apps that plug work into it (interest, deposits, loans, accounts, ledger, the back office's
tariffs).

A step names a *population* (the ids, ascending, of the rows it has work for on a business date)
and a *run* over one chunk of that population (``first_id <= id <= last_id``). The framework
cuts the population into ranges of ``chunk_size`` ids, records one chunk per range, and runs the
chunks as Celery tasks, in any order, concurrently, possibly more than once (a retry after an
error, a re-run after a worker died half-way). So a run must be:

* idempotent per (row, step, business date): a second run of a chunk changes nothing (a unique
  constraint per row and date, or a ledger idempotency key per row or chunk and date);
* atomic per unit it commits: a chunk killed half-way leaves each unit either done or not done;
* independent of other chunks of the same step (they run at the same time on other workers).

When the steps of business date ``D`` run, ``D`` is already closed for postings (the run's cut-off
rolled the ledger to the next business date), ``ledger.selectors.business_date_cutoff(D)`` is the
instant its balances are taken at, and postings a step makes carry ``value_date=D``.

The steps and their order are the ``CORE_BANKING_EOD_STEPS`` seam (``core_banking/common/seams.py``):
a list of dotted paths to ``Step`` objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str  # stable and unique: "interest.accrue"; recorded on every run
    label: str  # what staff read on the progress page
    population: Callable[[dt.date], Iterable[int]]
    run: Callable[[dt.date, int, int], int]  # returns how many rows it processed now
    chunk_size: int = 5000
