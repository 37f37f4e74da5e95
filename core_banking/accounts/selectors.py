"""Product and account reads: the lists and look-ups the API and the admin show.

Account lists carry each account's posted and held balance as one annotation (the sum of its
ledger account's balance shards), so a page of accounts is one query, not one per row.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core_banking.ledger.models import AMOUNT, AccountBalance

from . import exceptions as exc
from .models import Account, AccountStatusChange, Product

# --- products ------------------------------------------------------------------------------


def product_list(*, is_active: bool | None = None, currency: str = "", kind: str = "") -> QuerySet[Product]:
    products = Product.objects.select_related("currency", "gl_account")
    if is_active is not None:
        products = products.filter(is_active=is_active)
    if currency:
        products = products.filter(currency_id=currency)
    if kind:
        products = products.filter(kind=kind)
    return products


def product_get(*, product_id: int) -> Product:
    product = product_list().filter(pk=product_id).first()
    if product is None:
        raise exc.ProductNotFound(f"product {product_id} does not exist")
    return product


# --- accounts ------------------------------------------------------------------------------


def ledger_shard_total(column: str, *, account_field: str = "ledger_account_id") -> Coalesce:
    """The sum of one balance column over the shards of the row's ledger account."""
    total = (
        AccountBalance.objects.filter(account_id=OuterRef(account_field))
        .values("account_id")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=DecimalField(**AMOUNT)), Decimal(0),
                    output_field=DecimalField(**AMOUNT))


def _accounts() -> QuerySet[Account]:
    return (
        Account.objects.select_related("customer", "product", "currency", "ledger_account")
        .annotate(posted_balance=ledger_shard_total("balance"), held_balance=ledger_shard_total("held"))
        .annotate(available_balance=F("posted_balance") - F("held_balance"))
    )


def account_list(
    *,
    customer_id: int | None = None,
    status: str = "",
    currency: str = "",
    product_id: int | None = None,
    iban: str = "",
    visible_to=None,
) -> QuerySet[Account]:
    """``visible_to`` (core_banking/common/visibility.py): None for every account, else only the
    accounts of the customers that user onboarded (whoever opened the account)."""
    accounts = _accounts()
    if visible_to is not None:
        accounts = accounts.filter(customer__created_by=visible_to)
    if customer_id is not None:
        accounts = accounts.filter(customer_id=customer_id)
    if status:
        accounts = accounts.filter(status=status)
    if currency:
        accounts = accounts.filter(currency_id=currency)
    if product_id is not None:
        accounts = accounts.filter(product_id=product_id)
    if iban:
        accounts = accounts.filter(iban=iban.replace(" ", "").upper())
    return accounts


def accounts_check_visible(account_ids, *, visible_to) -> None:
    """Raise AccountNotFound (404) for the first id the caller may not see (or that does not exist)."""
    if visible_to is None:
        return
    ids = {int(i) for i in account_ids if i is not None}
    seen = set(Account.objects.filter(pk__in=ids, customer__created_by=visible_to).values_list("pk", flat=True))
    for account_id in sorted(ids - seen):
        raise exc.AccountNotFound(f"account {account_id} does not exist")


def account_get(*, account_id: int, visible_to=None) -> Account:
    """One account with its customer, product, currency, ledger account and lifecycle history."""
    history = AccountStatusChange.objects.select_related("actor").order_by("id")
    accounts = _accounts().prefetch_related(Prefetch("status_changes", queryset=history)).filter(pk=account_id)
    if visible_to is not None:
        accounts = accounts.filter(customer__created_by=visible_to)
    account = accounts.first()
    if account is None:
        raise exc.AccountNotFound(f"account {account_id} does not exist")
    return account


def account_find(*, iban: str = "", number: str = "", limit: int = 20) -> list[Account]:
    """Accounts for the staff search box: by IBAN or account number, exact (both unique
    indexes), with their posted and available balances."""
    from django.db.models import Q

    condition = Q()
    if iban:
        condition |= Q(iban=iban.replace(" ", "").upper())
    if number:
        condition |= Q(number=number.strip())
    if not condition:
        return []
    return list(_accounts().filter(condition).order_by("number")[:limit])
