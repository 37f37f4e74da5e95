"""List filters and searches the staff admin shares: an amount range, currencies in use, and the
exact-amount search term.

* ``AmountRangeFilter``: ``list_filter = [("amount", AmountRangeFilter)]`` adds "from" and "to"
  inputs (``amount__gte``, ``amount__lte``) to the list's filter panel.
* Currency filters list only the currencies the table uses: the staff admin site swaps every
  plain foreign key to ``ledger.Currency`` in a ``list_filter`` for Django's
  ``RelatedOnlyFieldListFilter`` (``in_use_filters``).
* ``amount_term``: a search term that is an amount (``1,217.57``, ``1217.57 EUR``) as a
  ``Decimal``, for an exact-amount search.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist

_AMOUNT = re.compile(r"^-?\d{1,20}(?:,\d{3})*(?:\.\d{1,18})?(?: [A-Z]{3})?$")


def amount_term(term: str) -> Decimal | None:
    """The amount a search term names, or None: ``"1,217.57"`` -> ``Decimal("1217.57")``."""
    term = term.strip()
    if not _AMOUNT.match(term):
        return None
    try:
        return Decimal(term.split(" ")[0].replace(",", ""))
    except InvalidOperation:
        return None


class AmountRangeFilter(admin.FieldListFilter):
    """From/to inputs for an amount column."""

    template = "admin/amount_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        self.lookup_gte = f"{field_path}__gte"
        self.lookup_lte = f"{field_path}__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = f"{field.verbose_name} (range)"

    def expected_parameters(self) -> list[str]:
        return [self.lookup_gte, self.lookup_lte]

    def has_output(self) -> bool:
        return True

    def _value(self, name: str) -> str:
        value = self.used_parameters.get(name)
        if isinstance(value, list):
            value = value[-1] if value else ""
        return value or ""

    def choices(self, changelist):
        keep = [(key, value) for key, value in changelist.params.items()
                if key not in (self.lookup_gte, self.lookup_lte, "p")]
        yield {
            "selected": bool(self._value(self.lookup_gte) or self._value(self.lookup_lte)),
            "query_string": changelist.get_query_string(remove=[self.lookup_gte, self.lookup_lte]),
            "display": "All",
            "gte_name": self.lookup_gte, "gte_value": self._value(self.lookup_gte),
            "lte_name": self.lookup_lte, "lte_value": self._value(self.lookup_lte),
            "hidden": [(key, value[-1] if isinstance(value, list) else value) for key, value in keep],
        }


def _is_currency_fk(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(field.is_relation and field.many_to_one and field.related_model._meta.label_lower == "ledger.currency")


def in_use_filters(model, list_filter):
    """``list_filter`` with each currency foreign key listing only the currencies in use."""
    return [(item, admin.RelatedOnlyFieldListFilter) if isinstance(item, str) and _is_currency_fk(model, item)
            else item for item in list_filter]
