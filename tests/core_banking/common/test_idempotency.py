"""The one retry loop of idempotent writes (``core_banking/common/idempotency.py``)."""

import pytest
from django.db import IntegrityError

from core_banking.common.idempotency import IdempotencyConflict, ReplayRace, run_idempotent, unique_key
from core_banking.ledger import exceptions as ledger_exc

pytestmark = pytest.mark.django_db


def test_a_lost_race_runs_again_and_then_gives_up():
    calls = []

    def write():
        calls.append(len(calls))
        if len(calls) == 1:
            raise ReplayRace
        return "the committed original"

    assert run_idempotent(write) == "the committed original" and calls == [0, 1]

    def always():
        raise ReplayRace

    with pytest.raises(IdempotencyConflict, match="kept racing"):
        run_idempotent(always)
    assert ledger_exc.IdempotencyConflict is IdempotencyConflict  # the ledger's refusal is this one


def test_only_the_idempotency_constraint_becomes_a_replay_race():
    with pytest.raises(ReplayRace), unique_key("payment_idempotency"):
        raise IntegrityError('duplicate key value violates unique constraint "payment_idempotency"')
    with pytest.raises(IntegrityError), unique_key("payment_idempotency"):
        raise IntegrityError('new row violates check constraint "payment_amount_positive"')
