"""The settlement tables refuse, by themselves (raw SQL around the ORM), what the services never
write: a payment in two live batches, an item added to a closed batch, a status jump the table
does not allow, an edited or deleted file, a changed instruction."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from core_banking.settlement import services
from core_banking.settlement.models import BATCH_TRANSITIONS, Batch, BatchItem, SettlementFile

from .conftest import business_cutoff, outgoing

pytestmark = pytest.mark.django_db


def sql(statement: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def sent(world):
    cutoff = business_cutoff()
    payment = outgoing(world.ada, "10.00", at=cutoff - dt.timedelta(hours=1))
    services.close_due_batches(now=cutoff + dt.timedelta(minutes=1))
    return Batch.objects.get(), payment


def _copy_item(item_id: int, batch_id: int) -> str:
    return (f"INSERT INTO settlement_batchitem (batch_id, payment_id, suspense_id, state, amount, currency_id, "
            f"instruction_id, end_to_end_id, creditor_iban, creditor_name, creditor_bic, remittance_info, "
            f"reason_code, reason, created_at, updated_at) SELECT {batch_id}, payment_id, suspense_id, 'queued', "
            f"amount, currency_id, instruction_id || 'X', end_to_end_id, creditor_iban, creditor_name, creditor_bic, "
            f"remittance_info, '', '', now(), now() FROM settlement_batchitem WHERE id = {item_id}")


def test_a_payment_is_in_at_most_one_live_batch(world, sent):
    batch, payment = sent
    other = Batch.objects.create(currency_id="EUR", business_date=batch.business_date,
                                 cutoff_at=batch.cutoff_at + dt.timedelta(days=1))
    item = BatchItem.objects.get(payment=payment)
    with pytest.raises(IntegrityError, match="settlement_item_payment_once"):
        sql(_copy_item(item.pk, other.pk))


def test_no_item_is_added_to_a_batch_that_is_not_open(world, sent):
    batch, payment = sent
    item = BatchItem.objects.get(payment=payment)
    with pytest.raises(IntegrityError, match="is not open: no item can be added"):
        sql(_copy_item(item.pk, batch.pk))


def test_one_live_batch_per_rail_currency_and_cut_off(world, sent):
    batch, _ = sent
    with pytest.raises(IntegrityError, match="settlement_batch_one_per_cutoff"):
        sql("INSERT INTO settlement_batch (rail, currency_id, business_date, cutoff_at, status, message_id, "
            "item_count, total_amount, status_reason, created_at) SELECT rail, currency_id, business_date, "
            "cutoff_at, 'open', '', 0, 0, '', now() FROM settlement_batch WHERE id = %s", [batch.pk])


@pytest.mark.parametrize("target", ["open", "closed", "cancelled"])
def test_a_sent_batch_moves_only_along_the_table(world, sent, target):
    batch, _ = sent
    assert ("sent", target) not in BATCH_TRANSITIONS
    with pytest.raises(IntegrityError, match=f"cannot go from sent to {target}"):
        sql("UPDATE settlement_batch SET status = %s WHERE id = %s", [target, batch.pk])


@pytest.mark.parametrize("assignment", ["message_id = 'OTHER'", "total_amount = 1", "item_count = 9",
                                        "cutoff_at = cutoff_at + interval '1 day'"])
def test_what_a_closed_batch_s_file_says_never_changes(world, sent, assignment):
    batch, _ = sent
    with pytest.raises(IntegrityError, match="is closed: its contents cannot change"):
        sql(f"UPDATE settlement_batch SET {assignment} WHERE id = %s", [batch.pk])


def test_an_unknown_status_and_a_closed_batch_without_message_id_are_refused(world):
    cutoff = business_cutoff()
    batch = Batch.objects.create(currency_id="EUR", business_date=cutoff.date(), cutoff_at=cutoff)
    with pytest.raises(IntegrityError, match="cannot go from open to lost"):
        sql("UPDATE settlement_batch SET status = 'lost' WHERE id = %s", [batch.pk])
    with pytest.raises(IntegrityError, match="settlement_batch_closed_has_file_id"):
        sql("UPDATE settlement_batch SET status = 'closed' WHERE id = %s", [batch.pk])


@pytest.mark.parametrize("assignment", ["content = 'x'::bytea", "sha256 = 'x'", "name = 'other.xml'",
                                        "batch_id = NULL"])
def test_a_stored_file_is_never_changed(world, sent, assignment):
    pain = SettlementFile.objects.get()
    with pytest.raises(IntegrityError, match="stored as received"):
        sql(f"UPDATE settlement_settlementfile SET {assignment} WHERE id = %s", [pain.pk])


def test_files_batches_and_items_are_never_deleted(world, sent):
    batch, payment = sent
    for table, row in (("settlement_settlementfile", SettlementFile.objects.get().pk), ("settlement_batch", batch.pk),
                       ("settlement_batchitem", BatchItem.objects.get(payment=payment).pk)):
        with pytest.raises(DatabaseError, match="Cannot delete rows"):
            sql(f"DELETE FROM {table} WHERE id = %s", [row])


def test_the_history_is_append_only(world, sent):
    batch, _ = sent
    with pytest.raises(IntegrityError, match="append-only"):
        sql("UPDATE settlement_batchstatuschange SET reason = 'x' WHERE batch_id = %s", [batch.pk])


@pytest.mark.parametrize("assignment", ["amount = 99", "creditor_iban = 'NL91ABNA0417164300X'",
                                        "end_to_end_id = 'other'"])
def test_an_instruction_never_changes(world, sent, assignment):
    _, payment = sent
    with pytest.raises(IntegrityError, match="is an instruction"):
        sql(f"UPDATE settlement_batchitem SET {assignment} WHERE payment_id = %s", [payment.pk])


def test_an_item_state_moves_only_forward(world, sent):
    _, payment = sent
    with pytest.raises(IntegrityError, match="cannot go from sent to queued"):
        sql("UPDATE settlement_batchitem SET state = 'queued' WHERE payment_id = %s", [payment.pk])
