"""Customer reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from . import exceptions as exc
from .models import Customer


def customer_list(*, search: str = "", type: str = "", kyc_status: str = "", status: str = "",
                  visible_to=None) -> QuerySet[Customer]:
    """``visible_to`` (core_banking/common/visibility.py): None for every customer, else only the
    customers that user onboarded."""
    qs = Customer.objects.prefetch_related("addresses", "tax_residencies", "related_parties").order_by("-id")
    if visible_to is not None:
        qs = qs.filter(created_by=visible_to)
    if type:
        qs = qs.filter(type=type)
    if kyc_status:
        qs = qs.filter(kyc_status=kyc_status)
    if status:
        qs = qs.filter(status=status)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(number__iexact=term) | Q(email__iexact=term) | Q(phone=term)
            | Q(last_name__istartswith=term) | Q(legal_name__istartswith=term)
        )
    return qs


def customer_get(*, customer_id: int, visible_to=None) -> Customer:
    customer = customer_list(visible_to=visible_to).filter(pk=customer_id).first()
    if customer is None:
        raise exc.CustomerNotFound(f"customer {customer_id} does not exist")
    return customer
