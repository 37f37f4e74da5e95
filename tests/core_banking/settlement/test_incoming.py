"""Incoming credit transfers (camt.054 credits): booked to the beneficiary by IBAN through the
payments service; an unknown or closed beneficiary goes to suspense and the operations queue,
from where staff book it to the right account or return it to the sender."""

import datetime as dt
from decimal import Decimal

import pytest

from core_banking.events.models import Event
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.verify import verify_ledger
from core_banking.payments.books import payments_books_check
from core_banking.payments.models import Payment
from core_banking.settlement import exceptions as exc
from core_banking.settlement import services
from core_banking.settlement.models import Batch, BatchItem, SuspenseItem
from tests import banking

from . import files

pytestmark = pytest.mark.django_db
D = Decimal
UNKNOWN = "NL20CBNK0999999999"


def posted(ledger_account_id):
    return account_balance(account_id=ledger_account_id).posted


@pytest.fixture
def closed_account(world):
    account = banking.account(banking.customer(first_name="Cleo", last_name="Closed"), world.product)
    banking.account_close(account_id=account.pk, reason="customer left")
    return account


def test_credits_are_booked_by_iban_or_parked_in_suspense(world, closed_account):
    ada_before = posted(world.ada.ledger_account_id)
    notification = files.camt054([
        {"direction": "CRDT", "amount": "120.00", "creditor_iban": world.ada.iban, "e2e": "SAL-1",
         "debtor_name": "Employer GmbH", "remittance": "Salary"},
        {"direction": "CRDT", "amount": "33.00", "creditor_iban": UNKNOWN, "e2e": "X-1", "debtor_name": "Who BV"},
        {"direction": "CRDT", "amount": "44.00", "creditor_iban": closed_account.iban, "e2e": "X-2"},
    ])

    result = services.settlement_file_import(data=notification, name="camt054-in.xml")

    incoming = Payment.objects.get(kind="incoming")
    assert (incoming.status, incoming.amount, incoming.creditor_account_id) == ("posted", D("120.00"), world.ada.pk)
    assert (incoming.channel, incoming.end_to_end_id, incoming.counterparty_name) == ("file", "SAL-1",
                                                                                      "Employer GmbH")
    assert posted(world.ada.ledger_account_id) == ada_before + D("119.90")  # 0.10 incoming fee per tariff
    queue = {i.creditor_iban: i for i in SuspenseItem.objects.all()}
    assert set(queue) == {UNKNOWN, closed_account.iban}
    assert (queue[UNKNOWN].reason_code, queue[UNKNOWN].status) == ("unknown_account", "open")
    assert queue[closed_account.iban].reason_code == "account_closed"
    assert posted(world.bank.suspense.pk) == D("77.00")  # the suspense account holds 77.00
    assert Event.objects.filter(type="settlement.suspense_opened").count() == 2
    assert result.file.suspense_items.count() == 2
    assert verify_ledger().ok and payments_books_check().ok

    assert not services.settlement_file_import(data=notification).created
    assert Payment.objects.filter(kind="incoming").count() == 1 and SuspenseItem.objects.count() == 2


def test_staff_book_a_suspense_item_to_the_identified_account(world):
    services.settlement_file_import(data=files.camt054([
        {"direction": "CRDT", "amount": "50.00", "creditor_iban": UNKNOWN, "creditor_name": "Bram de Vries"}]))
    item = SuspenseItem.objects.get()
    bram_before = posted(world.bram.ledger_account_id)

    services.suspense_book(item_id=item.pk, account_id=world.bram.pk, reason="name matches Bram's account")

    item.refresh_from_db()
    assert item.status == "booked" and item.payment.creditor_account_id == world.bram.pk
    assert item.payment.kind == "incoming" and item.payment.status == "posted"
    assert posted(world.bram.ledger_account_id) == bram_before + D("49.90")
    assert posted(world.bank.suspense.pk) == D("0.00")
    assert [(h.from_status, h.to_status) for h in item.history.all()] == [("", "open"), ("open", "booked")]
    with pytest.raises(exc.SuspenseStateRefused):
        services.suspense_book(item_id=item.pk, account_id=world.ada.pk, reason="again")
    assert verify_ledger().ok and payments_books_check().ok


def test_staff_return_a_suspense_item_to_its_sender_in_the_next_batch(world):
    services.settlement_file_import(data=files.camt054([
        {"direction": "CRDT", "amount": "70.00", "creditor_iban": UNKNOWN, "e2e": "WHO-1",
         "debtor_iban": "DE89370400440532013000", "debtor_name": "Sender AG"}]))
    item = SuspenseItem.objects.get()

    services.suspense_return(item_id=item.pk, reason="beneficiary unknown")

    item.refresh_from_db()
    assert item.status == "returning" and posted(world.bank.suspense.pk) == D("0.00")
    queued = BatchItem.objects.get(suspense=item)
    assert (queued.creditor_iban, queued.amount, queued.end_to_end_id) == ("DE89370400440532013000", D("70.00"),
                                                                           "WHO-1")
    services.close_due_batches(now=queued.batch.cutoff_at + dt.timedelta(minutes=1))
    batch = Batch.objects.get(pk=queued.batch_id)
    assert batch.status == "sent"

    # The scheme rejects the return: the money goes back to suspense and the item is open again.
    services.settlement_file_import(data=files.pain002(batch, rejected={"WHO-1": "AC01"}))
    item.refresh_from_db()
    assert item.status == "open" and posted(world.bank.suspense.pk) == D("70.00")
    assert verify_ledger().ok


def test_an_accepted_return_closes_the_suspense_item(world):
    services.settlement_file_import(data=files.camt054([
        {"direction": "CRDT", "amount": "70.00", "creditor_iban": UNKNOWN, "e2e": "WHO-2"}]))
    item = SuspenseItem.objects.get()
    services.suspense_return(item_id=item.pk, reason="unknown")
    batch = BatchItem.objects.get(suspense=item).batch
    services.close_due_batches(now=batch.cutoff_at + dt.timedelta(minutes=1))
    services.settlement_file_import(data=files.pain002(Batch.objects.get(pk=batch.pk)))
    item.refresh_from_db()
    assert item.status == "returned" and Batch.objects.get(pk=batch.pk).status == "completed"
    assert verify_ledger().ok
