"""The loan services: apply, approve (the schedule), disburse, repay with allocation, early
repayment, write-off, and the ledger behind each of them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from core_banking.common.errors import TransitionNotAllowed
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.loans import exceptions as exc
from core_banking.loans import selectors, services
from core_banking.loans.gl import credit_loss_account
from core_banking.loans.models import Instalment, Loan, LoanStatusChange, Repayment
from tests import banking

from .conftest import make_product, roll_to, running_loan

pytestmark = pytest.mark.django_db
D = Decimal


def balance(account) -> Decimal:
    return account_balance(account_id=account.ledger_account_id).posted


def gl_balance(ledger_account) -> Decimal:
    return account_balance(account_id=ledger_account.pk).posted


def verify_ledger() -> None:
    call_command("verify_ledger")  # exits non-zero (SystemExit) on any disagreement


def test_approval_generates_the_schedule_and_disbursement_pays_the_customer(loan, current_account, start):
    instalments = list(loan.instalments.order_by("number"))

    assert loan.status == Loan.Status.DISBURSED and loan.start_date == start
    assert len(instalments) == 12 and sum(i.principal_due for i in instalments) == D("10000.00")
    assert instalments[0].due_date.day == 15 and instalments[0].interest_due == D("100.00")
    assert [i.principal_due + i.interest_due for i in instalments[:11]] == [D("888.49")] * 11
    assert balance(current_account) == D("11000.00")
    assert balance(loan.loan_account) == D("10000.00") and loan.loan_account.ledger_account.type == "asset"
    assert list(LoanStatusChange.objects.filter(loan=loan).values_list("action", "to_status")) == [
        ("apply", "applied"), ("approve", "approved"), ("disburse", "disbursed")]
    verify_ledger()


def test_the_maker_cannot_approve_their_own_application(start, loan_product, ada, current_account, maker):
    maker.groups.add(*type(maker.groups.first()).objects.filter(name="finance"))
    loan = services.loan_apply(customer_id=ada.pk, product_id=loan_product.pk, account_id=current_account.pk,
                               principal=D("1000.00"), term=6, actor=maker)
    maker = type(maker).objects.get(pk=maker.pk)  # fresh permission cache with the finance role

    with pytest.raises(exc.SelfApprovalRefused):
        services.loan_approve(loan_id=loan.pk, actor=maker)
    assert Loan.objects.get(pk=loan.pk).status == "applied" and not Instalment.objects.filter(loan=loan).exists()


@pytest.mark.parametrize(("change", "error"), [
    ({"principal": D("100.00")}, exc.LoanAmountOutOfRange),
    ({"principal": D("10.001")}, ledger_exc.InvalidAmount),
    ({"term": 2}, exc.LoanTermOutOfRange),
    ({"rate": D("0.25")}, exc.LoanRateOutOfRange),
])
def test_applications_outside_the_product_are_refused(start, loan_product, ada, current_account, maker, change, error):
    fields = {"principal": D("1000.00"), "term": 6, **change}
    with pytest.raises(error):
        services.loan_apply(customer_id=ada.pk, product_id=loan_product.pk, account_id=current_account.pk,
                            actor=maker, **fields)
    assert not Loan.objects.exists()


def test_an_account_of_another_customer_is_refused(start, loan_product, ada, current_account, maker, bank):
    other = banking.customer()
    with pytest.raises(exc.InvalidLoanApplication):
        services.loan_apply(customer_id=other.pk, product_id=loan_product.pk, account_id=current_account.pk,
                            principal=D("1000.00"), term=6, actor=maker)


def test_a_product_needs_a_permutation_and_ascending_buckets(loan_account_product):
    with pytest.raises(exc.InvalidLoanProduct, match="permutation"):
        make_product(loan_account_product, allocation_order=["fees", "fees", "interest", "principal"])
    with pytest.raises(exc.InvalidLoanProduct, match="ascending"):
        make_product(loan_account_product, code="PL2", bucket_boundaries=[60, 30])


def test_a_repayment_pays_fees_then_penalties_then_interest_then_principal(loan, current_account, maker):
    first = loan.instalments.get(number=1)
    Instalment.objects.filter(pk=first.pk).update(fees_due=D("2.00"), penalties_due=D("15.00"))
    roll_to(first.due_date)

    repayment, replayed = services.loan_repay(loan_id=loan.pk, amount=D("150.00"), idempotency_key="r-1",
                                              actor=maker)

    assert not replayed
    assert list(repayment.allocations.values_list("component", "amount")) == [
        ("fees", D("2.00")), ("penalties", D("15.00")), ("interest", D("100.00")), ("principal", D("33.00"))]
    first.refresh_from_db()
    assert (first.principal_paid, first.status) == (D("33.00"), "pending")
    assert Loan.objects.get(pk=loan.pk).principal_outstanding == D("9967.00")
    assert balance(current_account) == D("10850.00") and balance(loan.loan_account) == D("9967.00")
    assert gl_balance(interest_accounts("EUR").penalty_income) == D("15.00")
    verify_ledger()


def test_a_custom_allocation_order_pays_principal_first(start, loan_account_product, ada, current_account, maker,
                                                        checker):
    product = make_product(loan_account_product, code="PL-PRINCIPAL-FIRST",
                           allocation_order=["principal", "interest", "fees", "penalties"])
    loan = running_loan(product=product, customer=ada, account=current_account, maker=maker, checker=checker)
    roll_to(loan.first_due_date)

    repayment, _ = services.loan_repay(loan_id=loan.pk, amount=D("800.00"), idempotency_key="r-1", actor=maker)

    assert list(repayment.allocations.values_list("component", "amount")) == [
        ("principal", D("788.49")), ("interest", D("11.51"))]


def test_a_repayment_covers_the_oldest_instalment_first_and_clears_the_arrears(loan, current_account, maker):
    second = loan.instalments.get(number=2)
    roll_to(second.due_date)
    Loan.objects.filter(pk=loan.pk).update(status="in_arrears", days_past_due=31, delinquency_bucket="31-60")

    repayment, _ = services.loan_repay(loan_id=loan.pk, amount=D("1776.98"), idempotency_key="r-1", actor=maker)

    assert [(a.instalment.number, a.component) for a in repayment.allocations.order_by("position")] == [
        (1, "interest"), (2, "interest"), (1, "principal"), (2, "principal")]
    loan.refresh_from_db()
    assert (loan.status, loan.days_past_due, loan.delinquency_bucket) == ("active", 0, "current")
    assert set(loan.instalments.filter(number__lte=2).values_list("status", flat=True)) == {"paid"}


def test_a_repayment_is_refused_beyond_what_is_due_and_when_nothing_is_due(loan, current_account, maker):
    with pytest.raises(exc.NothingDue):
        services.loan_repay(loan_id=loan.pk, amount=D("10.00"), idempotency_key="r-0", actor=maker)
    roll_to(loan.first_due_date)
    with pytest.raises(exc.RepaymentExceedsDue):
        services.loan_repay(loan_id=loan.pk, amount=D("888.50"), idempotency_key="r-1", actor=maker)
    assert not Repayment.objects.exists() and balance(current_account) == D("11000.00")


def test_a_retry_replays_and_another_body_under_the_same_key_conflicts(loan, current_account, maker):
    roll_to(loan.first_due_date)
    first, _ = services.loan_repay(loan_id=loan.pk, amount=D("100.00"), idempotency_key="r-1", actor=maker)
    entries = JournalEntry.objects.count()

    again, replayed = services.loan_repay(loan_id=loan.pk, amount=D("100.00"), idempotency_key="r-1", actor=maker)

    assert replayed and again.pk == first.pk and JournalEntry.objects.count() == entries
    with pytest.raises(ledger_exc.IdempotencyConflict):
        services.loan_repay(loan_id=loan.pk, amount=D("101.00"), idempotency_key="r-1", actor=maker)
    assert balance(current_account) == D("10900.00")


def test_insufficient_funds_writes_nothing(loan, current_account, maker, bank):
    roll_to(loan.first_due_date)
    banking.fund(bank, current_account, "0.01")
    from core_banking.ledger import services as ledger

    ledger.transfer(debit_account_id=current_account.ledger_account_id, credit_account_id=bank.cash["EUR"].pk,
                    amount=D("10900.01"), idempotency_key="drain")

    with pytest.raises(ledger_exc.InsufficientFunds):
        services.loan_repay(loan_id=loan.pk, amount=D("888.49"), idempotency_key="r-1", actor=maker)
    assert not Repayment.objects.exists()
    assert Loan.objects.get(pk=loan.pk).principal_outstanding == D("10000.00")


def test_a_full_early_repayment_pays_principal_and_interest_to_date_and_closes_the_loan(loan, current_account, maker):
    day = loan.start_date + dt.timedelta(days=10)
    roll_to(day)
    quote = selectors.early_repayment_quote(loan=loan, day=day)
    assert (quote.interest_to_date, quote.principal, quote.total) == (D("33.33"), D("10000.00"), D("10033.33"))

    repayment, _ = services.loan_repay_early(loan_id=loan.pk, idempotency_key="payoff", actor=maker)

    loan.refresh_from_db()
    assert repayment.amount == D("10033.33") and repayment.kind == "payoff"
    assert (loan.status, loan.principal_outstanding) == ("repaid", D("0"))
    assert balance(current_account) == D("966.67") and balance(loan.loan_account) == 0
    assert list(loan.instalments.values_list("status", flat=True).distinct().order_by("status")) == [
        "cancelled", "paid"]
    assert sum(i.principal_due for i in loan.instalments.all()) == D("10000.00")
    # What accrued (nothing yet: no end of day ran) against what was paid: trued up at closing.
    accounts = interest_accounts("EUR")
    assert gl_balance(accounts.receivable) == 0 and gl_balance(accounts.income) == D("33.33")
    verify_ledger()


def test_a_partial_early_repayment_lowers_the_remaining_instalments(loan, current_account, maker):
    day = loan.start_date + dt.timedelta(days=10)
    roll_to(day)
    before = list(loan.instalments.order_by("number").values_list("principal_due", "interest_due"))

    repayment, _ = services.loan_repay_early(loan_id=loan.pk, amount=D("4000.00"), idempotency_key="part",
                                             actor=maker)

    rows = list(loan.instalments.order_by("number"))
    assert list(repayment.allocations.values_list("component", "amount")) == [("principal", D("4000.00"))]
    assert sum(i.principal_due for i in rows) == D("10000.00")  # the prepayment is booked on instalment 1
    assert rows[0].principal_paid == D("4000.00")
    assert rows[1].principal_due + rows[1].interest_due < before[1][0] + before[1][1]
    assert len(rows) == 12 and Loan.objects.get(pk=loan.pk).principal_outstanding == D("6000.00")
    # 6,000 over 12 months at 1 % a month is 533.09; the first also carries 4,000 * 0.12 * 10/360.
    assert rows[1].principal_due + rows[1].interest_due == D("533.09")
    assert rows[0].interest_due == D("73.33")
    assert balance(current_account) == D("7000.00")
    verify_ledger()


def test_a_partial_early_repayment_is_refused_while_something_is_due(loan, maker):
    roll_to(loan.first_due_date)
    with pytest.raises(exc.LoanOverdue):
        services.loan_repay_early(loan_id=loan.pk, amount=D("100.00"), idempotency_key="p", actor=maker)
    services.loan_repay(loan_id=loan.pk, amount=D("888.49"), idempotency_key="due", actor=maker)
    with pytest.raises(exc.InvalidEarlyRepayment):  # the whole principal: that is a payoff
        services.loan_repay_early(loan_id=loan.pk, amount=D("9211.51"), idempotency_key="p2", actor=maker)
    assert Loan.objects.get(pk=loan.pk).principal_outstanding == D("9211.51")


def test_a_write_off_moves_the_principal_to_credit_losses(loan, checker, maker):
    with pytest.raises(exc.InvalidLoanApplication):
        services.loan_write_off(loan_id=loan.pk, reason=" ", actor=checker)
    with pytest.raises(exc.LoanPermissionRefused):
        services.loan_write_off(loan_id=loan.pk, reason="fraud", actor=maker)

    services.loan_write_off(loan_id=loan.pk, reason="customer insolvent", actor=checker)

    loan.refresh_from_db()
    assert (loan.status, loan.principal_outstanding, loan.status_reason) == ("written_off", 0, "customer insolvent")
    assert gl_balance(credit_loss_account("EUR")) == D("10000.00") and balance(loan.loan_account) == 0
    assert set(loan.instalments.values_list("status", flat=True)) == {"written_off"}
    with pytest.raises(TransitionNotAllowed):
        services.loan_write_off(loan_id=loan.pk, reason="again", actor=checker)
    verify_ledger()


def test_transitions_out_of_order_are_refused(start, loan_product, ada, current_account, maker, checker):
    loan = services.loan_apply(customer_id=ada.pk, product_id=loan_product.pk, account_id=current_account.pk,
                               principal=D("1000.00"), term=6, actor=maker)
    with pytest.raises(TransitionNotAllowed):
        services.loan_disburse(loan_id=loan.pk, actor=maker)
    services.loan_approve(loan_id=loan.pk, actor=checker)
    with pytest.raises(TransitionNotAllowed):
        services.loan_approve(loan_id=loan.pk, actor=checker)


def test_a_later_disbursement_regenerates_the_schedule_for_its_date(start, loan_product, ada, current_account, maker,
                                                                    checker):
    loan = services.loan_apply(customer_id=ada.pk, product_id=loan_product.pk, account_id=current_account.pk,
                               principal=D("10000.00"), term=12, actor=maker)
    services.loan_approve(loan_id=loan.pk, actor=checker)
    first_of_next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    roll_to(first_of_next_month)

    services.loan_disburse(loan_id=loan.pk, actor=maker)

    first = Instalment.objects.get(loan=loan, number=1)
    assert first.period_start == first_of_next_month
    assert first.interest_due == D("46.67")  # 14 days of 30/360 to the 15th
    assert sum(i.principal_due for i in Instalment.objects.filter(loan=loan)) == D("10000.00")
