"""Loan reads: products, loans with filters, a loan's balances, the early-repayment quote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from core_banking.common.money import quantize

from . import exceptions as exc
from . import schedule as sched
from .models import Instalment, Loan, LoanAccrual, LoanProduct, LoanStatusChange, Repayment, RepaymentAllocation

ZERO = Decimal(0)
OPEN = [Instalment.Status.PENDING, Instalment.Status.DUE, Instalment.Status.OVERDUE]


def loan_product_list(*, is_active: bool | None = None, currency: str = "") -> QuerySet[LoanProduct]:
    products = LoanProduct.objects.select_related("currency", "account_product")
    if is_active is not None:
        products = products.filter(is_active=is_active)
    if currency:
        products = products.filter(currency_id=currency)
    return products


def loan_product_get(*, product_id: int) -> LoanProduct:
    product = loan_product_list().filter(pk=product_id).first()
    if product is None:
        raise exc.LoanProductNotFound(f"loan product {product_id} does not exist")
    return product


def loan_list(*, customer_id: int | None = None, status: str = "", product_id: int | None = None,
              bucket: str = "", account_id: int | None = None, visible_to=None) -> QuerySet[Loan]:
    loans = Loan.objects.select_related("customer", "product", "currency", "account", "loan_account")
    if visible_to is not None:  # client isolation: the loans of the customers that user onboarded
        loans = loans.filter(customer__created_by=visible_to)
    if customer_id is not None:
        loans = loans.filter(customer_id=customer_id)
    if status:
        loans = loans.filter(status=status)
    if product_id is not None:
        loans = loans.filter(product_id=product_id)
    if bucket:
        loans = loans.filter(delinquency_bucket=bucket)
    if account_id is not None:
        loans = loans.filter(account_id=account_id)
    return loans


def loan_get(*, loan_id: int, visible_to=None) -> Loan:
    loan = (loan_list(visible_to=visible_to).prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("number")),
        Prefetch("status_changes", queryset=LoanStatusChange.objects.select_related("actor").order_by("id")),
    ).filter(pk=loan_id).first())
    if loan is None:
        raise exc.LoanNotFound(f"loan {loan_id} does not exist")
    return loan


def repayment_list(*, loan_id: int) -> QuerySet[Repayment]:
    return (Repayment.objects.filter(loan_id=loan_id)
            .prefetch_related(Prefetch("allocations", queryset=RepaymentAllocation.objects
                                       .select_related("instalment").order_by("position")))
            .select_related("loan__currency").order_by("id"))


@dataclass(frozen=True)
class Balances:
    currency: str
    principal_outstanding: Decimal
    accrued_interest: Decimal  # accrued (as posted to the ledger) and not yet paid
    amount_due: Decimal  # unpaid of instalments due on or before the day
    overdue_amount: Decimal  # unpaid of instalments due before the day
    days_past_due: int
    delinquency_bucket: str
    next_due_date: dt.date | None


def loan_balances(*, loan: Loan, day: dt.date) -> Balances:
    exponent = loan.currency.exponent
    accrued = LoanAccrual.objects.filter(loan=loan).aggregate(total=Sum("posted"))["total"] or ZERO
    paid = RepaymentAllocation.objects.filter(repayment__loan=loan, component="interest").aggregate(
        total=Sum("amount"))["total"] or ZERO
    due = overdue = ZERO
    next_due = None
    for instalment in loan.instalments.all():
        if instalment.status not in OPEN:
            continue
        if instalment.due_date <= day:
            due += instalment.total_unpaid
            if instalment.due_date < day:
                overdue += instalment.total_unpaid
        elif next_due is None:
            next_due = instalment.due_date
    return Balances(currency=loan.currency_id, principal_outstanding=quantize(loan.principal_outstanding, exponent),
                    accrued_interest=quantize(max(accrued - paid, ZERO), exponent), amount_due=quantize(due, exponent),
                    overdue_amount=quantize(overdue, exponent), days_past_due=loan.days_past_due,
                    delinquency_bucket=loan.delinquency_bucket, next_due_date=next_due)


@dataclass(frozen=True)
class Quote:
    """What an early repayment on ``day`` pays, and for a partial one the new schedule."""

    kind: str  # payoff | early_partial
    day: dt.date
    currency: str
    total: Decimal
    fees: Decimal
    penalties: Decimal
    interest_due: Decimal  # of instalments already due
    interest_to_date: Decimal  # of the running period, up to (excluding) the day
    principal: Decimal
    principal_not_due: Decimal
    lines: list[sched.Line] = field(default_factory=list)


def early_repayment_quote(*, loan: Loan, day: dt.date, amount: Decimal | None = None) -> Quote:
    """Full payoff (``amount`` None) or a partial early repayment of ``amount`` (principal)."""
    if loan.status not in Loan.RUNNING:
        raise exc.LoanNotRunning(f"loan {loan.pk} is {loan.get_status_display().lower()}", loan_status=loan.status)
    exponent = loan.currency.exponent
    rows = list(Instalment.objects.filter(loan=loan, status__in=OPEN).order_by("due_date"))
    due_rows = [i for i in rows if i.due_date <= day]
    future = [i for i in rows if i.due_date > day]
    parts = {part: sum((i.unpaid(part) for i in due_rows), ZERO) for part in sched.COMPONENTS}
    principal = loan.principal_outstanding
    principal_not_due = principal - parts["principal"]
    current = future[0] if future else None
    if amount is None:
        interest_to_date = sched.interest_to_date(principal, loan.rate, current.period_start, day, loan.convention,
                                                  exponent) if current else quantize(ZERO, exponent)
        total = parts["fees"] + parts["penalties"] + parts["interest"] + interest_to_date + principal
        return Quote(kind="payoff", day=day, currency=loan.currency_id, total=quantize(total, exponent),
                     fees=parts["fees"], penalties=parts["penalties"], interest_due=parts["interest"],
                     interest_to_date=interest_to_date, principal=principal, principal_not_due=principal_not_due)
    if any(v > 0 for v in parts.values()):
        raise exc.LoanOverdue(f"loan {loan.pk} has {sum(parts.values(), ZERO)} {loan.currency_id} due; repay it first")
    if current is None:
        raise exc.InvalidEarlyRepayment("the loan has no instalment left to re-amortise")
    if amount >= principal:
        raise exc.InvalidEarlyRepayment(f"{amount} is not less than the principal outstanding {principal}; "
                                        "pay the loan off in full instead", principal_outstanding=str(principal))
    lines = sched.reschedule_after_prepayment(
        balance_before=principal, prepaid=amount, rate=loan.rate, day=day,
        remaining=[(i.period_start, i.due_date) for i in future], convention=loan.convention,
        method=loan.amortisation, exponent=exponent, fee=loan.product.instalment_fee, first_number=current.number)
    return Quote(kind="early_partial", day=day, currency=loan.currency_id, total=amount, fees=ZERO, penalties=ZERO,
                 interest_due=ZERO, interest_to_date=quantize(ZERO, exponent), principal=amount,
                 principal_not_due=principal_not_due, lines=lines)
