"""Idempotent writes: the one way a service writes something once per client request.

A request that moves money carries a key chosen by the client (over HTTP the ``Idempotency-Key``
header, read by ``core_banking/common/api/idempotency.py``). The row the request writes (journal
entry, hold, payment, term deposit, loan repayment) stores the client's scope
(``idempotency_scope_for``), the key and a digest of the request (``request_hash``), under a unique
index on (scope, key). A retry with the same key then:

* finds the row written before: the same request is a replay and gets the original back, another
  request under the key is refused with ``IdempotencyConflict`` (``replayed``);
* or races with the original while it is still in flight: its insert waits on the unique index
  and fails once the original commits (``unique_key`` turns that failure into ``ReplayRace``, as
  the ledger engine does for entries); ``run_idempotent`` rolls the attempt back and runs it once
  more, and that run finds the committed original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import IntegrityError, models, transaction

from core_banking.common.errors import Conflict

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

ATTEMPTS = 3


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    title = "The idempotency key was already used with a different request"


class ReplayRace(Exception):  # noqa: N818 - control flow, caught by run_idempotent
    """A concurrent request with the same idempotency key committed first: roll back and run
    again, which then finds and returns the committed original."""


class ConcurrentChange(ReplayRace):
    """A guarded write found that a concurrent transaction changed what this attempt had read
    (a usage counter it read as missing was created meanwhile): roll back and run again, with
    fresh reads."""


def idempotency_scope_for(actor) -> str:
    """Keys are unique per client: a user's (or API client's) keys never collide with another's."""
    return f"user:{actor.pk}" if actor is not None else "system"


def run_idempotent(write: Callable[[], T]) -> T:
    """Run ``write`` in its own transaction (a savepoint inside a caller's); when a concurrent
    request with the same idempotency key committed first (``ReplayRace``), roll back and run it
    once more, which then finds and returns the committed original."""
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return write()
        except ReplayRace:
            continue
    raise IdempotencyConflict("the request kept racing with a concurrent retry; try again")


def replayed(rows: models.QuerySet[M], *, scope: str, key: str, request_hash: str, what: str = "request") -> M | None:
    """The row already written under (``scope``, ``key``), or None; a different request under the
    same key (another ``request_hash``) is an ``IdempotencyConflict``."""
    existing = rows.filter(idempotency_scope=scope, idempotency_key=key).first()
    if existing is not None and existing.request_hash != request_hash:
        raise IdempotencyConflict(f"idempotency key {key!r} was used for a different {what}")
    return existing


@contextmanager
def unique_key(constraint: str) -> Iterator[None]:
    """Around the INSERT of a row unique by (scope, key) under ``run_idempotent``: a violation of
    the unique constraint named ``constraint`` (a concurrent request with the key committed first)
    becomes ``ReplayRace``. No savepoint: the attempt is rolled back as a whole either way."""
    try:
        yield
    except IntegrityError as error:
        if constraint in str(error):
            raise ReplayRace from error
        raise
