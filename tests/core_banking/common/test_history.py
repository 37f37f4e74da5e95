"""The one status-history block (core_banking.common.history): every lifecycle history table
refuses UPDATE and DELETE in the database, and ``record_transition`` writes the row."""

from __future__ import annotations

import pgtrigger
import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core_banking.accounts.models import AccountStatusChange
from core_banking.common.history import StatusHistory, record_transition
from core_banking.deposits.models import DepositStatusChange
from core_banking.loans.models import LoanStatusChange
from core_banking.payments import services as payments
from core_banking.payments.models import PaymentStatusChange
from tests import banking

pytestmark = pytest.mark.django_db

# A subject id no row has: the history rows below point at it (what is under test is the table's
# trigger, not the subject). Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so the
# insert passes; the test removes the row again, through pgtrigger's break-glass, before the
# constraints are checked at its end.
NO_SUBJECT = 2_000_000_000


@pytest.fixture
def account(bank):
    return banking.account(banking.customer(), banking.product(bank))


@pytest.fixture
def payment(bank, account):
    other = banking.account(banking.customer(), banking.product(bank))
    banking.fund(bank, account, "100.00")
    payment, _ = payments.payment_create(kind="internal_transfer", amount="10.00", currency="EUR",
                                         debtor_account_id=account.pk, creditor_account_id=other.pk,
                                         idempotency_key="history-test")
    return payment


def _account_row(request):
    return request.getfixturevalue("account").status_changes.get()


def _payment_row(request):
    return request.getfixturevalue("payment").status_changes.order_by("id").last()


def _orm_row(model, subject: str, **fields):
    def make(request):
        return _model(model).objects.create(**{f"{subject}_id": NO_SUBJECT}, from_status="a", to_status="b",
                                    reason="original", **fields)
    return make


NOW = timezone.now()
APPEND_ONLY = "append-only"
# The back office's histories are named "app_label.Model" (looked up when their test runs: the
# engine's tests run without the back office, and these are marked ``backoffice``).
ROWS = {
    AccountStatusChange: (_account_row, APPEND_ONLY),
    PaymentStatusChange: (_payment_row, APPEND_ONLY),
    LoanStatusChange: (_orm_row(LoanStatusChange, "loan", action="approve", at=NOW), APPEND_ONLY),
    DepositStatusChange: (_orm_row(DepositStatusChange, "deposit"), "append-only"),
    "approvals.ApprovalHistory": (_orm_row("approvals.ApprovalHistory", "request", action="approve", at=NOW),
                                  APPEND_ONLY),
    "kyc.KycHistory": (_orm_row("kyc.KycHistory", "application", action="assign", at=NOW), APPEND_ONLY),
    "tickets.TicketStatusChange": (_orm_row("tickets.TicketStatusChange", "ticket", action="assign", at=NOW),
                                   APPEND_ONLY),
}


def _model(model):
    return apps.get_model(model) if isinstance(model, str) else model


def _refused(sql: str, params, message: str) -> None:
    with pytest.raises(DatabaseError, match=message), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("model", [
    pytest.param(model, id=model.split(".")[1], marks=pytest.mark.backoffice) if isinstance(model, str)
    else pytest.param(model, id=model.__name__) for model in ROWS])
def test_every_status_history_is_append_only_in_the_database(request, model):
    make, message = ROWS[model]
    model = _model(model)
    row = make(request)
    before = model.objects.filter(pk=row.pk).values().get()
    table = model._meta.db_table
    _refused(f"UPDATE {table} SET reason = 'edited' WHERE id = %s", [row.pk], message)  # noqa: S608
    _refused(f"DELETE FROM {table} WHERE id = %s", [row.pk], message)  # noqa: S608
    assert model.objects.filter(pk=row.pk).values().get() == before
    subject = next(f.name for f in model._meta.fields if f.is_relation and f.name != "actor")
    if before[f"{subject}_id"] == NO_SUBJECT:
        with pgtrigger.ignore():
            model.objects.filter(pk=row.pk).delete()


def test_the_shared_columns_come_from_the_one_block():
    for model in (AccountStatusChange, PaymentStatusChange, LoanStatusChange, DepositStatusChange):
        assert issubclass(model, StatusHistory)
        assert {"from_status", "to_status", "reason", "actor", "at"} <= {f.name for f in model._meta.fields}


def test_the_append_only_message_names_the_table_and_the_operation(account):
    row = account.status_changes.get()
    _refused("DELETE FROM accounts_accountstatuschange WHERE id = %s", [row.pk],
             "accounts_accountstatuschange is append-only: DELETE refused")


def test_record_transition_with_the_status_captured_before(account, django_user_model):
    staff = django_user_model.objects.create_user(username="history-ops")
    before = account.status
    account.freeze()
    row = record_transition(AccountStatusChange, account, from_status=before, reason="suspicious", actor=staff)
    row.refresh_from_db()
    assert (row.account_id, row.from_status, row.to_status, row.reason, row.actor) == (
        account.pk, before, "frozen", "suspicious", staff)
    assert row.at is not None


def test_record_transition_reads_the_previous_status_from_the_row_when_not_given(account):
    saved = account.status
    account.freeze()  # in memory only: the database row still has the previous status
    row = record_transition(AccountStatusChange, account, reason="r")
    assert (row.from_status, row.to_status) == (saved, "frozen")


def test_record_transition_takes_an_explicit_target_and_extra_columns(account):
    at = timezone.now() - timezone.timedelta(days=1)
    row = record_transition(AccountStatusChange, account, from_status="x", to_status="y", at=at)
    row.refresh_from_db()
    assert (row.from_status, row.to_status, row.at) == ("x", "y", at)


def test_record_transition_refuses_a_history_of_another_subject(account):
    with pytest.raises(TypeError, match="foreign keys"):
        record_transition(PaymentStatusChange, account, from_status="a")


@pytest.mark.parametrize(("action", "after"), [("release", "posted"), ("reject", "rejected")])
def test_the_payment_review_paths_record_the_status_they_found(bank, account, settings, action, after):
    settings.CORE_BANKING_PAYMENT_CHECKS = ["tests.core_banking.payments.test_worked_examples.review_large"]
    other = banking.account(banking.customer(), banking.product(bank))
    banking.fund(bank, account, "2000.00")
    held, _ = payments.payment_create(kind="internal_transfer", amount="1500.00", currency="EUR",
                                      debtor_account_id=account.pk, creditor_account_id=other.pk,
                                      idempotency_key=f"held-{action}")
    assert held.status == "pending_review"
    getattr(payments, f"payment_{action}")(payment_id=held.pk, reason="checked")
    assert [(c.from_status, c.to_status) for c in held.status_changes.order_by("id")] == [
        ("", "initiated"), ("initiated", "pending_review"), ("pending_review", after)]
