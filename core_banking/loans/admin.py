"""Loans in the admin.

* Loan products: defined through ``services.loan_product_create`` (the form runs
  ``services.loan_product_validate``, so a bad allocation order or bucket boundaries show as form
  errors). Terms that loans rely on are fixed once the product exists; deactivate it instead of
  deleting it.
* Loans: applied for through the API or the services, never added, changed or deleted here. The
  schedule (with what is due and paid), the repayments and the history are read-only inlines.
  Approve, disburse and write off are changelist actions with a reason typed next to them; a user
  sees only the actions their permissions allow, and the services check again (and refuse a
  self-approval). A refusal is shown as an error message and changes nothing.

Money is shown in the units of its currency (the columns have 18 decimal places).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from core_banking.common.errors import DomainError
from core_banking.common.money_display import format_amount, format_money
from core_banking.ledger.admin import NoWritesMixin

from . import services, transitions
from .models import VIEW, Instalment, Loan, LoanProduct, LoanStatusChange, Repayment


def _units(amount: Decimal | None, currency) -> str:
    """An amount in its currency's places, grouped, with the code (``money_display``)."""
    return format_money(amount, currency)


# --- products ----------------------------------------------------------------------------------


class LoanProductForm(forms.ModelForm):
    class Meta:
        model = LoanProduct
        fields = ("code", "name", "currency", "account_product", "amortisation", "rate_default", "rate_min",
                  "rate_max", "convention", "frequency", "term_min", "term_max", "amount_min", "amount_max",
                  "instalment_fee", "allocation_order", "grace_days", "late_fee", "bucket_boundaries", "is_active")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        candidate = copy.copy(self.instance)
        for name, value in data.items():
            setattr(candidate, name, value)
        try:
            services.loan_product_validate(candidate)
        except DomainError as error:
            self.add_error(None, error.detail)
            return data
        for name in ("amount_min", "amount_max", "instalment_fee", "late_fee", "allocation_order",
                     "bucket_boundaries"):
            data[name] = getattr(candidate, name)
        return data


@admin.register(LoanProduct)
class LoanProductAdmin(admin.ModelAdmin):
    form = LoanProductForm
    list_display = ("code", "name", "currency", "amortisation", "rate_default", "term_min", "term_max", "is_active")
    list_filter = ("currency", "amortisation", "is_active")
    search_fields = ("code", "name")
    fixed_after_creation = ("code", "currency", "account_product", "amortisation", "convention", "frequency",
                            "created_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fixed_after_creation

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        if change:
            editable = [name for name in form.changed_data if name not in self.fixed_after_creation]
            if editable:
                obj.save(update_fields=editable)
            return
        data = form.cleaned_data
        fields = {name: data[name] for name in LoanProductForm.Meta.fields if name not in ("currency",
                                                                                            "account_product")}
        product = services.loan_product_create(actor=request.user, currency_id=data["currency"].pk,
                                               account_product_id=data["account_product"].pk, **fields)
        obj.__dict__.update({key: value for key, value in product.__dict__.items() if key != "_state"})
        obj._state.adding = False
        obj._state.db = product._state.db


# --- loans -------------------------------------------------------------------------------------


class _ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)  # the schedule, repayments and history are part of the loan


class InstalmentInline(_ReadOnlyInline):
    model = Instalment
    verbose_name_plural = "schedule"
    ordering = ("number",)
    fields = ("number", "period_start", "due_date", "status", "principal", "interest", "fees", "penalties",
              "total", "paid_on")
    readonly_fields = fields

    def _pair(self, obj: Instalment, part: str) -> str:
        currency = obj.loan.currency_id
        return f"{format_amount(obj.paid(part), currency)} / {_units(obj.due(part), currency)}"

    @admin.display(description="principal paid / due")
    def principal(self, obj):
        return self._pair(obj, "principal")

    @admin.display(description="interest paid / due")
    def interest(self, obj):
        return self._pair(obj, "interest")

    @admin.display(description="fees paid / due")
    def fees(self, obj):
        return self._pair(obj, "fees")

    @admin.display(description="penalties paid / due")
    def penalties(self, obj):
        return self._pair(obj, "penalties")

    @admin.display(description="instalment")
    def total(self, obj):
        return _units(obj.total_due, obj.loan.currency_id)


class RepaymentInline(_ReadOnlyInline):
    model = Repayment
    ordering = ("id",)
    fields = ("created_at", "business_date", "kind", "amount_units", "allocation", "entry")
    readonly_fields = fields

    @admin.display(description="amount")
    def amount_units(self, obj):
        return _units(obj.amount, obj.loan.currency_id)

    @admin.display(description="allocation")
    def allocation(self, obj):
        currency = obj.loan.currency_id
        return ", ".join(f"#{a.instalment.number} {a.component} {_units(a.amount, currency)}"
                         for a in obj.allocations.select_related("instalment").order_by("position"))


class StatusChangeInline(_ReadOnlyInline):
    model = LoanStatusChange
    verbose_name_plural = "history"
    ordering = ("id",)
    fields = ("at", "action", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields


def _transition_action(spec: transitions.LoanTransition):
    """The changelist action ``<name>_selected`` of a staff transition: its service for each loan
    selected, with the reason typed next to it."""

    def run(modeladmin, request, queryset):
        modeladmin._run(request, queryset, getattr(services, f"loan_{spec.name}"), spec.done,
                        reason_required=spec.reason_required)

    run.__name__ = f"{spec.name}_selected"
    return admin.action(description=spec.admin_label)(run)


class LoanActionForm(ActionForm):
    reason = forms.CharField(max_length=500, required=False, label="Reason",
                             help_text="Recorded in the loan's history; required for a write-off.")


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    action_form = LoanActionForm
    list_display = ("id", "customer", "product", "principal_units", "status", "outstanding", "days_past_due",
                    "delinquency_bucket", "applied_at")
    list_filter = ("status", "delinquency_bucket", "product", "currency")
    list_select_related = ("customer", "product", "currency")
    search_fields = ("=id", "=customer__number", "^customer__last_name", "^customer__legal_name", "=account__iban")
    ordering = ("-id",)
    show_full_result_count = False
    inlines = (InstalmentInline, RepaymentInline, StatusChangeInline)
    # One changelist action per staff transition of the table (core_banking/loans/transitions.py).
    actions = tuple(_transition_action(spec) for spec in transitions.IN_ADMIN)
    fieldsets = (
        (None, {"fields": ("customer", "product", "currency", "account", "loan_account")}),
        ("Terms", {"fields": ("principal_units", "rate", "term", "amortisation", "convention", "frequency",
                              "start_date", "first_due_date")}),
        ("Status", {"fields": ("status", "status_reason", "outstanding", "days_past_due", "delinquency_bucket")}),
        ("Record", {"fields": ("applied_by", "applied_at", "approved_by", "approved_at", "disbursed_at",
                               "closed_at")}),
    )
    readonly_fields = [name for _title, spec in fieldsets for name in spec["fields"]]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    def has_add_permission(self, request) -> bool:
        return False  # applied for through services.loan_apply (limits, KYC, the customer's account)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the lifecycle moves through the actions, which call the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        """The table's staff actions the user holds the permission of (the services check again)."""
        actions = super().get_actions(request)
        for spec in transitions.IN_ADMIN:
            if not request.user.has_perm(spec.permission):
                actions.pop(f"{spec.name}_selected", None)
        return actions

    @admin.display(description="principal", ordering="principal")
    def principal_units(self, loan: Loan) -> str:
        return _units(loan.principal, loan.currency_id)

    @admin.display(description="principal outstanding")
    def outstanding(self, loan: Loan) -> str:
        return _units(loan.principal_outstanding, loan.currency_id)

    def _run(self, request, queryset, service, done: str, *, reason_required: bool = False) -> None:
        reason = (request.POST.get("reason") or "").strip()
        if reason_required and not reason:
            self.message_user(request, "Type the reason next to the action.", messages.ERROR)
            return
        changed = 0
        for loan_id in queryset.values_list("pk", flat=True):
            try:
                service(loan_id=loan_id, actor=request.user, reason=reason)
            except DomainError as error:
                self.message_user(request, f"Loan {loan_id}: {error.detail}", messages.ERROR)
                continue
            changed += 1
        if changed:
            self.message_user(request, f"{changed} loan(s) {done}.", messages.SUCCESS)

