"""Two workers closing the same batch at once (real transactions on separate connections) write
one file; two imports of the same file at once change things once."""

import datetime as dt

import pytest

from core_banking.ledger.verify import verify_ledger
from core_banking.payments.models import Payment
from core_banking.settlement import services
from core_banking.settlement.models import Batch, SettlementFile
from tests.core_banking.ledger.test_concurrency import run_concurrently

from . import files
from .conftest import business_cutoff, outgoing

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_closing_the_same_batch_write_one_file(world):
    cutoff = business_cutoff()
    for n in range(5):
        outgoing(world.ada if n % 2 else world.bram, f"{n + 1}.00", at=cutoff - dt.timedelta(hours=1))
    services.batches_enqueue(now=cutoff - dt.timedelta(minutes=1))
    batch = Batch.objects.get()
    now = cutoff + dt.timedelta(minutes=1)

    results = run_concurrently(lambda i: services.batch_close(batch_id=batch.pk, now=now).status, count=2)

    assert results == [("ok", "closed"), ("ok", "closed")]
    assert SettlementFile.objects.filter(kind="pain.001").count() == 1
    assert [h.to_status for h in Batch.objects.get().history.all()] == ["open", "closed"]


def test_two_workers_running_the_whole_close_send_once(world):
    cutoff = business_cutoff()
    for n in range(4):
        outgoing(world.ada, f"{n + 1}.00", at=cutoff - dt.timedelta(hours=1))
    now = cutoff + dt.timedelta(minutes=1)

    results = run_concurrently(lambda i: services.close_due_batches(now=now), count=2)

    assert [status for status, _ in results] == ["ok", "ok"]
    assert Batch.objects.count() == 1 and SettlementFile.objects.count() == 1
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    assert sum(r.closed for _, r in results) == 1


def test_the_same_report_imported_twice_at_once_applies_once(world):
    cutoff = business_cutoff()
    payments = [outgoing(world.ada, "5.00", at=cutoff - dt.timedelta(hours=1)) for _ in range(3)]
    services.close_due_batches(now=cutoff + dt.timedelta(minutes=1))
    report = files.pain002(Batch.objects.get(), rejected={payments[0].end_to_end_id: "AC04"})

    results = run_concurrently(lambda i: services.settlement_file_import(data=report).created, count=2)

    assert sorted(r for _, r in results) == [False, True]
    assert Payment.objects.filter(status="returned").count() == 1
    assert verify_ledger().ok
