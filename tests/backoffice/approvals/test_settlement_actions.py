"""Maker-checker on settlement, through the back office's real guard: cancelling a batch and
resolving a suspense item wait for a second person; the maker cannot approve their own."""

import datetime as dt

import pytest

from backoffice.approvals import services as approvals
from backoffice.approvals.exceptions import SelfApprovalForbidden
from core_banking.common.maker_checker import Deferred
from core_banking.payments.models import Payment
from core_banking.settlement import services
from core_banking.settlement.models import Batch, SuspenseItem
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user
from tests.core_banking.settlement import files
from tests.core_banking.settlement.conftest import business_cutoff, make_world, outgoing

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(bank, settings):
    return make_world(bank, settings)


@pytest.fixture
def guarded(world, settings):
    settings.CORE_BANKING_MAKER_CHECKER = "backoffice.approvals.guard.GUARD"
    ensure_roles()
    return staff_user("operations", username="ops-maker"), staff_user("finance", username="fin-checker")


def test_a_batch_is_cancelled_only_after_a_second_person_approves(world, guarded, settings):
    maker, checker = guarded
    settings.SETTLEMENT_SEND_DELAY = 3600
    cutoff = business_cutoff()
    payment = outgoing(world.ada, "12.00", at=cutoff - dt.timedelta(hours=1))
    services.close_due_batches(now=cutoff + dt.timedelta(minutes=1))
    batch = Batch.objects.get()

    deferred = services.batch_cancel(batch_id=batch.pk, actor=maker, reason="duplicate file")

    assert isinstance(deferred, Deferred) and Batch.objects.get().status == "closed"
    with pytest.raises(SelfApprovalForbidden):
        approvals.request_approve(request_id=deferred.request_id, actor=maker)
    approvals.request_approve(request_id=deferred.request_id, actor=checker)
    assert Batch.objects.get().status == "cancelled"
    assert Payment.objects.get(pk=payment.pk).status == "posted"


def test_booking_a_suspense_item_waits_for_approval(world, guarded):
    maker, checker = guarded
    services.settlement_file_import(data=files.camt054([
        {"direction": "CRDT", "amount": "25.00", "creditor_iban": "NL20CBNK0999999999"}]))
    item = SuspenseItem.objects.get()

    deferred = services.suspense_book(item_id=item.pk, account_id=world.bram.pk, actor=maker,
                                      reason="identified by phone")

    assert isinstance(deferred, Deferred) and SuspenseItem.objects.get().status == "open"
    approvals.request_approve(request_id=deferred.request_id, actor=checker)
    item.refresh_from_db()
    assert item.status == "booked" and item.payment.creditor_account_id == world.bram.pk


def test_a_support_agent_may_not_ask(world, guarded):
    from core_banking.common.errors import PermissionRefused

    agent = staff_user("support_agent", username="agent")
    with pytest.raises(PermissionRefused):
        services.suspense_return(item_id=1, actor=agent, reason="x")
