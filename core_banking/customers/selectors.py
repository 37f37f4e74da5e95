"""Customer reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from . import exceptions as exc
from .models import Customer


def customer_list(*, search: str = "", type: str = "", kyc_status: str = "", status: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.prefetch_related("addresses", "tax_residencies", "related_parties").order_by("-id")
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


def customer_get(*, customer_id: int) -> Customer:
    customer = customer_list().filter(pk=customer_id).first()
    if customer is None:
        raise exc.CustomerNotFound(f"customer {customer_id} does not exist")
    return customer
