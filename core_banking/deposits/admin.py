"""Term deposits in the admin: read-mostly.

* Deposit products are defined through ``services.deposit_product_create`` (the form runs
  ``services.deposit_product_validate``, so a wrong accounts product or bad ranges are form
  errors). What running deposits were copied from (code, currency, accounts product,
  convention, term unit) is fixed once the product exists; the rest may change and only affects
  deposits opened (or rolled over) afterwards. Never deleted: deactivate instead.
* Deposits are opened through the API (``services.deposit_open``), never here, and never edited
  or deleted. The history is a read-only inline; the accrual rows have their own read-only list,
  linked from each deposit. Early withdrawal is an admin action that calls
  ``services.deposit_withdraw_early`` with the reason typed next to the action picker; refusals
  are shown as error messages.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html

from core_banking.audit.services import audit_record
from core_banking.common.errors import DomainError
from core_banking.common.money_display import format_money
from core_banking.ledger.admin import NoWritesMixin
from core_banking.ledger.models import Currency

from . import selectors, services, transitions
from .models import DepositAccrual, DepositProduct, DepositStatusChange, TermDeposit

VIEW_DEPOSIT = "deposits.view_termdeposit"
VIEW_ACCRUAL = "deposits.view_depositaccrual"


def _in_units(amount: Decimal | None, currency) -> str:
    """An amount in its currency's places, grouped, with the code (``money_display``)."""
    return format_money(amount, currency)


# --- products ------------------------------------------------------------------------------


class DepositProductForm(forms.ModelForm):
    class Meta:
        model = DepositProduct
        fields = ("code", "name", "currency", "account_product", "convention", "term_unit", "min_term", "max_term",
                  "allowed_terms", "min_amount", "max_amount", "default_rate", "withholding_tax_rate",
                  "early_withdrawal_allowed", "penalty_days", "penalty_rate", "penalty_may_touch_principal",
                  "description", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].queryset = Currency.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        candidate = copy.copy(self.instance)
        for name, value in data.items():
            setattr(candidate, name, value)
        if candidate.currency_id is None or candidate.account_product_id is None:
            return data  # the missing field has its own error already
        try:
            services.deposit_product_validate(candidate)
        except DomainError as error:
            self.add_error(None, error.detail)
            return data
        for name in ("min_amount", "max_amount", "allowed_terms"):
            if name in data:
                data[name] = getattr(candidate, name)
        return data


@admin.register(DepositProduct)
class DepositProductAdmin(admin.ModelAdmin):
    form = DepositProductForm
    list_display = ("code", "name", "currency", "convention", "terms", "default_rate", "withholding_tax_rate",
                    "penalty_days", "penalty_rate", "is_active")
    list_filter = ("currency", "convention", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("currency",)
    ordering = ("code",)
    fixed_after_creation = ("code", "currency", "account_product", "convention", "term_unit", "created_at")

    def get_fields(self, request, obj=None):
        fields = list(DepositProductForm.Meta.fields)
        return fields if obj is None else [*fields, "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fixed_after_creation

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="terms")
    def terms(self, product: DepositProduct) -> str:
        listed = ", ".join(map(str, product.allowed_terms)) if product.allowed_terms else \
            f"{product.min_term}–{product.max_term}"
        return f"{listed} {product.term_unit}"

    def save_model(self, request, obj, form, change) -> None:
        if change:
            editable = [name for name in form.changed_data if name not in self.fixed_after_creation]
            if editable:
                before = DepositProduct.objects.filter(pk=obj.pk).values(*editable).first()
                obj.save(update_fields=editable)
                audit_record(action="deposit_product.updated", obj=obj, before=before,
                             after={name: getattr(obj, name) for name in editable}, changes=editable,
                             actor=request.user)
            return
        data = form.cleaned_data
        product = services.deposit_product_create(actor=request.user,
                                                  **{name: data[name] for name in DepositProductForm.Meta.fields})
        obj.__dict__.update({key: value for key, value in product.__dict__.items() if key != "_state"})
        obj._state.adding = False
        obj._state.db = product._state.db


# --- deposits ------------------------------------------------------------------------------


class StatusChangeInline(NoWritesMixin, admin.TabularInline):
    model = DepositStatusChange
    fields = ("at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_DEPOSIT)


class DepositActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=500, help_text="Required for an early withdrawal.")


_DEPOSIT_FIELDS = ("number", "status", "status_reason", "customer", "product", "account", "funding_account",
                   "currency", "principal", "rate", "convention", "term", "term_unit", "start_date", "maturity_date",
                   "instruction", "withholding_tax_rate", "early_withdrawal_allowed", "penalty_days", "penalty_rate",
                   "penalty_may_touch_principal", "predecessor", "accrued_interest", "accrued_posted",
                   "accrued_through", "closed_on", "closed_at", "interest_paid", "tax_withheld", "penalty",
                   "payout_amount", "opening_entry", "settlement_entry", "created_by", "created_at")


@admin.register(TermDeposit)
class TermDepositAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("number", "customer", "principal_display", "rate", "start_date", "maturity_date", "instruction",
                    "status", "accrued_display")
    list_filter = ("status", "currency", "instruction", "product", "maturity_date")
    list_select_related = ("customer", "currency", "product")
    search_fields = ("=number", "=customer__number", "=account__iban", "=funding_account__iban")
    search_help_text = "A deposit number, a customer number, or the IBAN of the deposit or funding account."
    ordering = ("-id",)
    show_full_result_count = False
    date_hierarchy = "maturity_date"
    inlines = (StatusChangeInline,)
    readonly_fields = (*_DEPOSIT_FIELDS, "accrual_rows", "maturity_projection")
    fields = readonly_fields
    action_form = DepositActionForm
    actions = ("withdraw_early",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_DEPOSIT)

    def has_withdraw_permission(self, request) -> bool:
        return request.user.has_perm(transitions.WITHDRAW_EARLY.permission)

    @admin.display(description="principal", ordering="principal")
    def principal_display(self, deposit: TermDeposit) -> str:
        return _in_units(deposit.principal, deposit.currency)

    @admin.display(description="accrued interest")
    def accrued_display(self, deposit: TermDeposit) -> str:
        return _in_units(deposit.accrued_interest, deposit.currency)

    @admin.display(description="accruals")
    def accrual_rows(self, deposit: TermDeposit):
        url = reverse("admin:deposits_depositaccrual_changelist") + f"?deposit__id__exact={deposit.pk}"
        return format_html('<a href="{}">{} daily rows</a>', url, deposit.accruals.count())

    @admin.display(description="at maturity")
    def maturity_projection(self, deposit: TermDeposit) -> str:
        p = selectors.deposit_projection(deposit)
        currency = deposit.currency
        return (f"interest {_in_units(p.interest_at_maturity, currency)}, tax {_in_units(p.tax_at_maturity, currency)}"
                f", pays {_in_units(p.maturity_amount, currency)}")

    @admin.action(description=transitions.WITHDRAW_EARLY.admin_label, permissions=["withdraw"])
    def withdraw_early(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        done = 0
        for deposit_id, number in queryset.values_list("pk", "number"):
            try:
                services.deposit_withdraw_early(deposit_id=deposit_id, reason=reason, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{number}: {error.detail}", messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(request, f"{done} deposit(s) {transitions.WITHDRAW_EARLY.done}.", messages.SUCCESS)


@admin.register(DepositAccrual)
class DepositAccrualAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("deposit", "accrual_date", "business_date", "principal", "rate", "convention", "daily_factor",
                    "amount")
    list_filter = ("business_date", "convention")
    list_select_related = ("deposit",)
    search_fields = ("=deposit__number",)
    ordering = ("deposit", "accrual_date")
    show_full_result_count = False
    actions = None

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_ACCRUAL)
