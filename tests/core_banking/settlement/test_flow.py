"""The settlement path end to end: outgoing payments queue per cut-off, a batch closes into a
pain.001 valid against the official schema, the scheme's answers (pain.002, camt.054) settle and
return the right payments with the ledger balanced, and re-importing changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
import xmlschema
from lxml import etree

from core_banking.events.models import Event
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.verify import verify_ledger
from core_banking.payments import exceptions as payment_exc
from core_banking.payments import services as payments
from core_banking.payments.books import payments_books_check
from core_banking.payments.models import Payment
from core_banking.settlement import exceptions as exc
from core_banking.settlement import pain001, services
from core_banking.settlement.models import Batch, BatchItem, SettlementFile

from . import files
from .conftest import business_cutoff, outgoing

pytestmark = pytest.mark.django_db
D = Decimal
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def posted(account):
    return account_balance(account_id=account.ledger_account_id).posted


def close_at(cutoff):
    """What the beat task does a minute after ``cutoff``."""
    return services.close_due_batches(now=cutoff + dt.timedelta(minutes=1))


def test_a_batch_closes_at_the_cut_off_into_a_schema_valid_pain001_and_its_payments_are_sent(world):
    cutoff = business_cutoff()
    before = cutoff - dt.timedelta(hours=2)
    sent = [outgoing(world.ada, "100.00", at=before), outgoing(world.bram, "250.50", at=before),
            outgoing(world.ada, "0.01", at=before)]

    report = close_at(cutoff)

    assert (report.closed, report.sent, report.failed) == (1, 1, 0)
    batch = Batch.objects.get()
    assert (batch.status, batch.item_count, batch.total_amount) == ("sent", 3, D("350.51"))
    assert batch.cutoff_at == cutoff and batch.currency_id == "EUR" and batch.rail == "sepa_ct"
    pain = SettlementFile.objects.get(kind="pain.001")
    content = bytes(pain.content)
    xmlschema.XMLSchema(pain001.schema_path()).validate(content.decode())  # the official XSD, raises if invalid
    root = etree.fromstring(content)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "350.51"
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "CBNKNL2A"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == pain001.bank_iban()
    e2e = sorted(e.text for e in root.iterfind(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", namespaces=NS))
    assert e2e == sorted(p.end_to_end_id for p in sent)
    assert pain.sha256 and pain.size == len(content) and pain.batch_id == batch.pk
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    assert Event.objects.filter(type="payment.sent").count() == 3
    assert list(Event.objects.filter(type__startswith="settlement.batch").values_list("type", flat=True)) == [
        "settlement.batch_closed", "settlement.batch_sent"]
    assert [(h.from_status, h.to_status) for h in batch.history.all()] == [("", "open"), ("open", "closed"),
                                                                          ("closed", "sent")]
    # A second run changes nothing: no batch is closed twice.
    again = close_at(cutoff)
    assert (again.closed, again.sent) == (0, 0) and SettlementFile.objects.count() == 1


def test_a_payment_after_the_cut_off_goes_in_the_next_batch(world):
    cutoff = business_cutoff()
    early = outgoing(world.ada, "10.00", at=cutoff - dt.timedelta(seconds=1))
    late = outgoing(world.ada, "20.00", at=cutoff)  # at the cut-off is after it
    later = outgoing(world.ada, "30.00", at=cutoff + dt.timedelta(hours=3))

    close_at(cutoff)

    first = BatchItem.objects.get(payment=early).batch
    second = BatchItem.objects.get(payment=late).batch
    assert first.status == "sent" and first.item_count == 1
    assert second.status == "open" and second.cutoff_at > cutoff
    assert BatchItem.objects.get(payment=later).batch_id == second.pk
    assert Payment.objects.get(pk=late.pk).status == "posted"
    assert services.next_cutoff(cutoff)[1] == second.cutoff_at


def test_a_payment_committed_after_its_batch_closed_goes_in_the_next_one(world):
    cutoff = business_cutoff()
    outgoing(world.ada, "10.00", at=cutoff - dt.timedelta(minutes=5))
    close_at(cutoff)
    straggler = outgoing(world.bram, "11.00", at=cutoff - dt.timedelta(seconds=1))  # posted before, seen after
    services.batches_enqueue(now=cutoff + dt.timedelta(minutes=2))
    batch = BatchItem.objects.get(payment=straggler).batch
    assert batch.status == "open" and batch.cutoff_at > cutoff


@pytest.fixture
def sent_batch(world):
    cutoff = business_cutoff()
    at = cutoff - dt.timedelta(hours=1)
    ok = [outgoing(world.ada, "100.00", at=at), outgoing(world.bram, "200.00", at=at)]
    bad = [outgoing(world.ada, "40.00", at=at), outgoing(world.bram, "60.00", at=at)]
    close_at(cutoff)
    return Batch.objects.get(), ok, bad


def test_a_status_report_settles_the_accepted_and_returns_the_rejected(world, sent_batch):
    batch, ok, bad = sent_batch
    ada_before, bram_before = posted(world.ada), posted(world.bram)
    settlement = world.bank.settlement["EUR"]
    settlement_before = account_balance(account_id=settlement.pk).posted
    report = files.pain002(batch, rejected={bad[0].end_to_end_id: "AC04", bad[1].end_to_end_id: "AM05"})

    result = services.settlement_file_import(data=report, name="pain002.xml")

    assert result.created and result.file.kind == "pain.002" and result.file.batch_id == batch.pk
    assert {p.reference: p.status for p in Payment.objects.filter(pk__in=[p.pk for p in ok])} == {
        p.reference: "settled" for p in ok}
    returned = {p.pk: p for p in Payment.objects.filter(pk__in=[p.pk for p in bad])}
    assert {p.status for p in returned.values()} == {"returned"}
    assert returned[bad[0].pk].status_reason == "rejected by the scheme: AC04"
    assert returned[bad[0].pk].return_entry_id is not None
    # The amount comes back to the payer (the 0.50 fee is not refunded), out of settlement.
    assert posted(world.ada) == ada_before + D("40.00")
    assert posted(world.bram) == bram_before + D("60.00")
    assert account_balance(account_id=settlement.pk).posted == settlement_before - D("100.00")
    items = {i.payment_id: i for i in batch.items.all()}
    assert (items[bad[0].pk].state, items[bad[0].pk].reason_code) == ("rejected", "AC04")
    assert {items[p.pk].state for p in ok} == {"accepted"}
    batch.refresh_from_db()
    assert batch.status == "completed"
    assert SettlementFile.objects.get(pk=result.file.pk).summary == {
        "settled": 2, "returned": 2, "credited": 0, "suspense": 0, "unmatched": []}
    assert Event.objects.filter(type="payment.settled").count() == 2
    assert Event.objects.filter(type="payment.returned").count() == 2
    assert Event.objects.filter(type="settlement.batch_completed").count() == 1
    assert verify_ledger().ok
    assert payments_books_check().ok

    # The same file again: nothing changes.
    counts = (Event.objects.count(), Payment.objects.filter(status="returned").count(), SettlementFile.objects.count())
    again = services.settlement_file_import(data=report, name="pain002-again.xml")
    assert not again.created and again.file.pk == result.file.pk
    assert (Event.objects.count(), Payment.objects.filter(status="returned").count(),
            SettlementFile.objects.count()) == counts
    assert posted(world.ada) == ada_before + D("40.00")


def test_a_whole_file_rejected_returns_every_payment(world, sent_batch):
    batch, ok, bad = sent_batch
    services.settlement_file_import(data=files.pain002(batch, group_status="RJCT", rejected={
        p.end_to_end_id: "FF01" for p in ok + bad}))
    assert set(Payment.objects.values_list("status", flat=True)) == {"returned"}
    assert verify_ledger().ok


def test_a_camt054_debit_notification_settles_and_a_returned_debit_returns(world, sent_batch):
    batch, ok, bad = sent_batch
    notification = files.camt054([
        {"direction": "DBIT", "amount": "100.00", "e2e": ok[0].end_to_end_id},
        {"direction": "DBIT", "amount": "40.00", "e2e": bad[0].end_to_end_id, "return_reason": "AC06"},
    ])
    result = services.settlement_file_import(data=notification, name="camt054.xml")
    assert result.file.kind == "camt.054"
    assert Payment.objects.get(pk=ok[0].pk).status == "settled"
    assert Payment.objects.get(pk=bad[0].pk).status == "returned"
    assert Payment.objects.get(pk=ok[1].pk).status == "sent"  # not answered yet
    assert Batch.objects.get(pk=batch.pk).status == "sent"
    assert verify_ledger().ok
    assert not services.settlement_file_import(data=notification).created


def test_staff_cannot_return_a_payment_on_its_way_out(world, sent_batch):
    _, ok, _ = sent_batch
    with pytest.raises(payment_exc.PaymentStateRefused):
        payments.payment_return(payment_id=ok[0].pk, reason="customer asked")


def test_a_report_for_a_file_the_bank_never_sent_is_refused_whole(world, sent_batch):
    batch, _, _ = sent_batch
    batch.message_id = "SOMEONE-ELSE"
    with pytest.raises(exc.SettlementFileUnmatched):
        services.settlement_file_import(data=files.pain002(batch))
    assert SettlementFile.objects.filter(kind="pain.002").count() == 0


def test_garbage_is_refused(world):
    with pytest.raises(exc.SettlementFileInvalid):
        services.settlement_file_import(data=b"<not-xml")
    with pytest.raises(exc.SettlementFileInvalid):
        services.settlement_file_import(data=b"<Document><Other/></Document>")


def test_a_cancelled_batch_s_payments_go_into_the_next_batch(world, settings):
    settings.SETTLEMENT_SEND_DELAY = 3600  # a closed batch waits an hour before it is sent
    cutoff = business_cutoff()
    payment = outgoing(world.ada, "75.00", at=cutoff - dt.timedelta(hours=1))
    close_at(cutoff)
    batch = Batch.objects.get()
    assert batch.status == "closed" and Payment.objects.get(pk=payment.pk).status == "posted"

    services.batch_cancel(batch_id=batch.pk, reason="wrong debtor account in the file")

    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.items.get().state == "released"
    assert SettlementFile.objects.filter(batch=batch).count() == 1  # the written file stays stored
    services.batches_enqueue(now=cutoff + dt.timedelta(minutes=2))
    replacement = BatchItem.objects.get(payment=payment, state="queued").batch
    assert replacement.pk != batch.pk and replacement.status == "open"
    with pytest.raises(exc.BatchStateRefused):
        services.batch_cancel(batch_id=batch.pk, reason="again")


def test_a_closed_batch_whose_payment_was_returned_is_not_sent(world, settings):
    settings.SETTLEMENT_SEND_DELAY = 3600
    cutoff = business_cutoff()
    payment = outgoing(world.ada, "75.00", at=cutoff - dt.timedelta(hours=1))
    close_at(cutoff)
    payments.payment_return(payment_id=payment.pk, reason="fraud: recalled before sending")
    with pytest.raises(exc.BatchNotSendable):
        services.batch_send(batch_id=Batch.objects.get().pk)
    assert Batch.objects.get().status == "closed"
