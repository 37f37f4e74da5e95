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


# --- staff pages (search everywhere, customer 360°) --------------------------------------------

#: Name search needs this many characters: shorter fragments yield no trigram, so the trigram
#: index could not narrow them down (the staff search form refuses them).
NAME_SEARCH_MIN = 3


def customer_find(*, number: str = "", email: str = "", phone: str = "", name: str = "",
                  limit: int = 20) -> list[Customer]:
    """Customers for the staff search box, each criterion answered by one index (migration
    ``customers.0003_search_indexes``; docs/staff-pages.md shows the plans):

    * ``number``: exact, the unique index on ``number``;
    * ``email``: case-insensitive exact, the expression index on ``UPPER(email)``;
    * ``phone``: exact as typed and with the spaces removed, the index on ``phone``;
    * ``name``: every word (at least ``NAME_SEARCH_MIN`` characters) must occur in the first,
      last or legal name, case-insensitively: ``UPPER(col) LIKE '%WORD%'`` served by the
      ``gin_trgm_ops`` trigram indexes on ``UPPER(first_name)``, ``UPPER(last_name)`` and
      ``UPPER(legal_name)`` (a bitmap OR of three index scans per word, ANDed across words).

    The criteria given are ORed; at most ``limit`` rows, newest first, so even a common name on
    a table of millions of customers reads one bounded slice.
    """
    condition = Q()
    if number:
        condition |= Q(number=number.strip().upper())
    if email:
        condition |= Q(email__iexact=email.strip())
    if phone:
        raw = phone.strip()
        condition |= Q(phone__in={raw, raw.replace(" ", "")})
    if name:
        words = [w for w in name.split() if len(w) >= NAME_SEARCH_MIN]
        if words:
            by_name = Q()
            for word in words:
                by_name &= (Q(first_name__icontains=word) | Q(last_name__icontains=word)
                            | Q(legal_name__icontains=word))
            condition |= by_name
    if not condition:
        return []
    return list(Customer.objects.filter(condition).order_by("-id")[:limit])


def customer_profile(customer: Customer, user) -> dict:
    """The customer 360° profile: identity, contact, addresses and tax residencies, with the
    personal data masked (``core_banking.customers.pii``) for a user who may not see it."""
    from . import pii

    full = pii.may_see_pii(user)
    addresses = [
        {"kind": a.get_kind_display(), "text": str(a) if full else pii.mask_text(str(a)), "country": a.country}
        for a in sorted(customer.addresses.all(), key=lambda a: a.pk)
    ]
    return {
        "id": customer.pk, "number": customer.number, "type": customer.type,
        "type_label": customer.get_type_display(), "name": customer.display_name,
        "status": customer.status, "status_label": customer.get_status_display(),
        "kyc_status": customer.kyc_status, "kyc_status_label": customer.get_kyc_status_display(),
        "kyc_approved_at": customer.kyc_approved_at, "next_review_date": customer.next_review_date,
        "risk_rating": customer.risk_rating, "risk_rating_label": customer.get_risk_rating_display(),
        "date_of_birth": (customer.date_of_birth.isoformat() if customer.date_of_birth and full
                          else pii.mask_date(customer.date_of_birth)),
        "nationality": customer.nationality or customer.incorporation_country,
        "registration_number": customer.registration_number,
        "occupation": customer.occupation or customer.industry,
        "email": customer.email if full else pii.mask_email(customer.email),
        "phone": customer.phone if full else pii.mask_phone(customer.phone),
        "addresses": addresses,
        "tax_residencies": [{"country": t.country, "tax_id": t.tax_id if full else pii.mask_id(t.tax_id)}
                            for t in sorted(customer.tax_residencies.all(), key=lambda t: t.pk)],
        "related_parties": [{"name": f"{p.first_name} {p.last_name}", "role": p.get_role_display(),
                             "ownership_percent": p.ownership_percent}
                            for p in sorted(customer.related_parties.all(), key=lambda p: p.pk)],
        "created_at": customer.created_at,
        "pii_masked": not full,
    }
