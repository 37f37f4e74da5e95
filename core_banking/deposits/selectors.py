"""Term-deposit reads: products, deposits with filters, a deposit's accruals, and the figures a
customer asks about (interest accrued to date, what the deposit pays at maturity)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet

from core_banking.common.money import quantize

from . import calc
from . import exceptions as exc
from .models import DepositAccrual, DepositProduct, DepositStatusChange, TermDeposit


def deposit_product_list(*, is_active: bool | None = None, currency: str = "") -> QuerySet[DepositProduct]:
    products = DepositProduct.objects.select_related("currency", "account_product")
    if is_active is not None:
        products = products.filter(is_active=is_active)
    if currency:
        products = products.filter(currency_id=currency)
    return products


def deposit_product_get(*, product_id: int) -> DepositProduct:
    product = deposit_product_list().filter(pk=product_id).first()
    if product is None:
        raise exc.DepositProductNotFound(f"deposit product {product_id} does not exist")
    return product


def _deposits() -> QuerySet[TermDeposit]:
    return TermDeposit.objects.select_related("currency", "product", "customer", "account", "funding_account",
                                              "predecessor")


def deposit_list(*, customer_id: int | None = None, status: str = "", currency: str = "",
                 product_id: int | None = None, funding_account_id: int | None = None,
                 maturity_from: dt.date | None = None, maturity_to: dt.date | None = None,
                 number: str = "", visible_to=None) -> QuerySet[TermDeposit]:
    deposits = _deposits()
    if visible_to is not None:  # client isolation: the deposits of the customers that user onboarded
        deposits = deposits.filter(customer__created_by=visible_to)
    if customer_id is not None:
        deposits = deposits.filter(customer_id=customer_id)
    if status:
        deposits = deposits.filter(status=status)
    if currency:
        deposits = deposits.filter(currency_id=currency)
    if product_id is not None:
        deposits = deposits.filter(product_id=product_id)
    if funding_account_id is not None:
        deposits = deposits.filter(funding_account_id=funding_account_id)
    if maturity_from is not None:
        deposits = deposits.filter(maturity_date__gte=maturity_from)
    if maturity_to is not None:
        deposits = deposits.filter(maturity_date__lte=maturity_to)
    if number:
        deposits = deposits.filter(number=number.strip().upper())
    return deposits


def deposit_get(*, deposit_id: int, visible_to=None) -> TermDeposit:
    history = DepositStatusChange.objects.select_related("actor").order_by("id")
    deposit = (deposit_list(visible_to=visible_to).prefetch_related(Prefetch("status_changes", queryset=history))
               .annotate(accrual_count=Count("accruals")).filter(pk=deposit_id).first())
    if deposit is None:
        raise exc.DepositNotFound(f"term deposit {deposit_id} does not exist")
    return deposit


def deposit_accruals(*, deposit_id: int, date_from: dt.date | None = None,
                     date_to: dt.date | None = None) -> QuerySet[DepositAccrual]:
    if not TermDeposit.objects.filter(pk=deposit_id).exists():
        raise exc.DepositNotFound(f"term deposit {deposit_id} does not exist")
    rows = DepositAccrual.objects.filter(deposit_id=deposit_id)
    if date_from is not None:
        rows = rows.filter(accrual_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(accrual_date__lte=date_to)
    return rows


@dataclass(frozen=True)
class Projection:
    accrued_interest: Decimal  # unrounded, to the last day accrued
    accrued_interest_rounded: Decimal
    accrued_through: dt.date | None
    interest_at_maturity: Decimal  # rounded once, as maturity will pay it
    tax_at_maturity: Decimal
    net_interest_at_maturity: Decimal
    maturity_amount: Decimal  # principal + net interest


def deposit_projection(deposit: TermDeposit) -> Projection:
    """What the deposit has accrued so far and what maturity pays at its contract rate: the
    accrued rows plus the remaining days' accruals computed as the end of day will compute them."""
    exponent = deposit.currency.exponent
    first = deposit.accrued_through + calc.ONE_DAY if deposit.accrued_through else deposit.start_date
    remaining = calc.accruals(deposit.principal, deposit.rate, deposit.convention, deposit.start_date, first,
                              deposit.maturity_date - calc.ONE_DAY) if deposit.status == "active" else []
    settlement = calc.settle(principal=deposit.principal,
                             accrued=[deposit.accrued_interest, *(amount for _, amount in remaining)],
                             exponent=exponent, withholding_tax_rate=deposit.withholding_tax_rate)
    return Projection(
        accrued_interest=deposit.accrued_interest,
        accrued_interest_rounded=quantize(deposit.accrued_interest, exponent),
        accrued_through=deposit.accrued_through,
        interest_at_maturity=settlement.interest, tax_at_maturity=settlement.tax,
        net_interest_at_maturity=settlement.net_interest, maturity_amount=settlement.payout,
    )
