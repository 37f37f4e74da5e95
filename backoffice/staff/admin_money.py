"""Money, percentages and rates in the admin, for every ModelAdmin and inline, in one place.

The admin shows a model field's value in two spots: a changelist column and a read-only field of
a change page (inlines included). Both ask ``django.contrib.admin.utils.lookup_field`` for the
value and then format a ``DecimalField`` with all its stored places (``1217.570000000000000000``,
``0E-18``). ``install()`` (called once by the staff admin site) wraps that lookup so that a decimal
model field comes back already shown by ``core_banking.common.money_display``:

* an amount: ``1,217.57 EUR``, in its currency's exponent. The currency is found from the row:
  ``MONEY_CURRENCY`` names it where a model says it another way (``fee_amount`` in
  ``fee_currency``), otherwise the row's own ``currency`` field or the nearest one through its
  foreign keys (a ``FeeTier`` in its rule's currency, an instalment in its loan's);
* a fraction stored for a percentage (fee percentages, interest, tax and penalty rates,
  spreads): ``1.25%``;
* an exchange rate: ``1 EUR = 1.0845 USD``;
* a factor (day-count factors): the number without trailing zeros;
* a moment (any ``datetime``, a field's or a display method's): ``2026-12-06 20:05 CET``, in the
  bank's time zone with the zone's name (``core_banking.common.time_display``).

Editable inputs get the same treatment through ``DecimalInput`` (no ``0E-18`` in a form): the
staff admin site gives every registered ModelAdmin and inline the ``MoneyFormMixin``.

There is nothing to declare in the app admins; a new model with a ``currency`` field and an
18-place amount is shown right without a line here. ``classify`` is what the tests use to know
what a field is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.admin import helpers, utils
from django.contrib.admin.templatetags import admin_list
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html

from core_banking.common import money_display, time_display

BASE = "@base"  # the bank's base currency (settings.BANK_BASE_CURRENCY)

# Amounts whose currency is not the row's ``currency`` (or the nearest one through foreign keys).
MONEY_CURRENCY: dict[str, dict[str, str]] = {
    "payments.payment": {"fee_amount": "fee_currency", "target_amount": "target_currency"},
    "payments.fxquote": {"sell_amount": "sell_currency", "buy_amount": "buy_currency"},
    "approvals.approvalpolicy": {"threshold_amount": "threshold_currency", "exempt_below": "threshold_currency"},
    "compliance_monitoring.monitoredflow": {"amount_base": BASE},
    "compliance_monitoring.customerday": {"amount_base": BASE},
    "limits.limitusagerecord": {"amount": "usage__currency"},
    "tariffs.feeusagerecord": {"volume": "usage__account__currency"},
    "tariffs.feeusage": {"volume": "account__currency"},
}

# Exchange rates: field -> (base currency path, quote currency path).
FX_RATES: dict[str, dict[str, tuple[str, str]]] = {
    "payments.fxrate": {"mid_rate": ("base", "quote")},
    "payments.fxquote": {"mid_rate": ("sell_currency", "buy_currency"), "rate": ("sell_currency", "buy_currency")},
    "payments.payment": {"fx_rate": ("currency", "target_currency"), "fx_mid_rate": ("currency", "target_currency")},
}

MONEY, PERCENT, FX_RATE, NUMBER, SHARE = "money", "percent", "fx_rate", "number", "share"


@cache
def _currency_path(model) -> str | None:
    """The nearest ``currency`` through forward foreign keys (breadth first, three hops at most)."""
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    seen = {model}
    for _depth in range(4):
        next_frontier = []
        for current, prefix in frontier:
            try:
                current._meta.get_field("currency")
            except FieldDoesNotExist:
                pass
            else:
                return f"{prefix}currency"
            for field in current._meta.concrete_fields:
                target = field.related_model if field.is_relation and (field.many_to_one or field.one_to_one) else None
                if target is None or target in seen or target._meta.app_label in ("auth", "contenttypes"):
                    continue
                seen.add(target)
                next_frontier.append((target, f"{prefix}{field.name}__"))
        frontier = next_frontier
    return None


@cache
def classify(model, name: str) -> tuple[str, object] | None:
    """What a decimal field of ``model`` holds: (MONEY, currency path), (PERCENT, None),
    (FX_RATE, (base path, quote path)), (NUMBER, None), (SHARE, None); None for another field."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not isinstance(field, models.DecimalField):
        return None
    label = model._meta.label_lower
    if name in MONEY_CURRENCY.get(label, {}):
        return MONEY, MONEY_CURRENCY[label][name]
    if name in FX_RATES.get(label, {}):
        return FX_RATE, FX_RATES[label][name]
    if name.endswith("_percent"):
        return SHARE, None
    if "factor" in name:
        return NUMBER, None
    if "rate" in name or "percentage" in name or name == "spread":
        return PERCENT, None
    if field.decimal_places == 18:
        path = _currency_path(model)
        return (MONEY, path) if path else (NUMBER, None)
    return None


def currency_at(obj, path: str | None):
    """The currency code (or ``Currency``) at ``path`` from ``obj``, reading the last foreign key's
    id rather than fetching the row."""
    if not path:
        return ""
    if path == BASE:
        return settings.BANK_BASE_CURRENCY
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return ""
    try:
        field = obj._meta.get_field(last)
    except FieldDoesNotExist:
        return getattr(obj, last, "")
    return getattr(obj, field.attname, "") or ""


def show_decimal(obj, name: str, value):
    """The HTML of ``obj.<name>`` (a decimal model field) per ``classify``, or None to leave it."""
    kind = classify(type(obj), name)
    if kind is None or value is None:
        return None
    what, spec = kind
    if what == MONEY:
        return format_html('<span class="money">{}</span>', money_display.format_money(value, currency_at(obj, spec)))
    if what == PERCENT:
        return format_html('<span class="rate">{}</span>', money_display.format_percent(value))
    if what == FX_RATE:
        base, quote = (currency_at(obj, path) for path in spec)
        return format_html('<span class="rate">{}</span>', money_display.format_rate(value, base, quote))
    if what == SHARE:
        return format_html('<span class="rate">{}%</span>', money_display.format_number(value))
    return format_html('<span class="rate">{}</span>', money_display.format_number(value))


_original_lookup_field = utils.lookup_field


def lookup_field(name, obj, model_admin=None):
    """``django.contrib.admin.utils.lookup_field``, with decimal model fields already shown, and
    every moment (a model field or a display method's value) in the bank's time zone with the
    zone's name (``core_banking.common.time_display``): ``2026-12-06 20:05 CET``."""
    field, attr, value = _original_lookup_field(name, obj, model_admin)
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
        shown = show_decimal(obj, field.name, value)
        if shown is not None:
            return None, None, shown
    if isinstance(value, dt.datetime):
        return None, None, format_html('<time datetime="{}">{}</time>', value.isoformat(),
                                       time_display.format_time(value))
    return field, attr, value


class DecimalInput(forms.NumberInput):
    """A decimal input showing ``1217.57`` rather than ``1217.570000000000000000``, and ``0.00``
    rather than ``0E-18``: trailing zeros dropped, but two decimals kept where the value had them."""

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            text = money_display.format_number(value)
            decimals = len(text.partition(".")[2])
            if decimals < 2 and value.as_tuple().exponent <= -2:
                return format(Decimal(text).quantize(Decimal("0.01")), "f")
            return text
        return super().format_value(value)


class PercentField(forms.DecimalField):
    """A fraction the model stores (``0.0025``) typed and shown as a percentage (``0.25``)."""

    widget = DecimalInput

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs) -> None:
        self.fraction_places = decimal_places
        # The places of the percentage: two fewer than the fraction's.
        kwargs.setdefault("widget", DecimalInput(attrs={"step": "any"}))
        super().__init__(max_digits=max_digits + 2, decimal_places=max(decimal_places - 2, 0), **kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return money_display.format_number(value * 100)
        return value

    def clean(self, value):
        percent = super().clean(value)
        if percent is None:
            return None
        if not Decimal(0) <= percent <= Decimal(100):
            typed = money_display.format_number(percent)
            raise forms.ValidationError(f"A percentage is between 0 and 100 (you typed {typed}).",
                                        code="percent_range")
        return percent / 100


def percent_input(db_field: models.DecimalField, **kwargs) -> PercentField:
    label = str(db_field.verbose_name)
    return PercentField(max_digits=db_field.max_digits, decimal_places=db_field.decimal_places,
                        required=not db_field.blank, label=f"{label[:1].upper()}{label[1:]} (%)",
                        help_text="In percent: 0.25 means 0.25 % of the amount.",
                        initial=db_field.get_default(), **kwargs)


# Fractions typed as percentages in the admin's forms (model label -> field names).
PERCENT_INPUTS: dict[str, set[str]] = {
    "tariffs.feerule": {"percentage"},
    "tariffs.feetier": {"percentage"},
}


class MoneyFormMixin:
    """Every decimal input of the admin's forms without trailing zeros, and fee percentages typed as
    percentages (given to each registered ModelAdmin and inline by the staff admin site)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DecimalField):
            if db_field.name in PERCENT_INPUTS.get(db_field.model._meta.label_lower, ()):
                kwargs.pop("widget", None)
                return percent_input(db_field, **{k: v for k, v in kwargs.items() if k in ("disabled",)})
            if "widget" not in kwargs:
                kwargs["widget"] = DecimalInput(attrs={"step": "any"})
            formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
            if formfield is not None and (classify(db_field.model, db_field.name) or ("",))[0] == PERCENT:
                # A rate stored and typed as a fraction says so (a percentage input is PERCENT_INPUTS').
                label = str(db_field.verbose_name)
                formfield.label = f"{label[:1].upper()}{label[1:]} (fraction)"
                formfield.help_text = " ".join(filter(None, [str(formfield.help_text or ""),
                                                             "A fraction: 0.015 is 1.5 %."]))
            return formfield
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def install() -> None:
    """Route the admin's changelist and read-only field lookups through ``lookup_field``; idempotent."""
    helpers.lookup_field = lookup_field
    admin_list.lookup_field = lookup_field
