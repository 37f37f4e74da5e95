"""Products and customer accounts in the admin.

* Products: defined through ``services.product_create``; the form runs
  ``services.product_validate`` so that a general-ledger account of the wrong kind or limits
  that do not fit show as form errors. What accounts already rely on (code, kind, currency,
  general-ledger account) is fixed once the product exists; deactivate a product instead of
  deleting it.
* Accounts: opened through ``services.account_open`` (the API), never here, and never deleted.
  The IBAN, the ledger account, the money fields and the status are read-only; the lifecycle
  changes through the services, from the changelist actions (the reason comes from the field
  next to the action picker) or from the change page's workflow panel, which offers only the
  transitions the signed-in user may fire now, each with its reason field. Freezing,
  unfreezing and closing are maker-checker actions: their services pass the gate of
  ``core_banking/common/maker_checker.py``, which checks them as the service would and creates
  an approval request instead of executing them. Refusals
  are shown as error messages and change nothing; the history is the read-only status-change
  inline.

Money is shown in the units of its currency (the columns have 18 decimal places).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from core_banking.audit.services import audit_record
from core_banking.common import admin_activity as activity
from core_banking.common import maker_checker
from core_banking.common.errors import DomainError
from core_banking.common.money import quantize
from core_banking.common.money_display import format_money
from core_banking.ledger.admin import NoWritesMixin
from core_banking.ledger.models import Currency

from . import selectors, services, transitions
from .models import Account, AccountStatusChange, Product
from .transitions import AccountTransition

VIEW_ACCOUNT = "accounts.view_account"
CHANGE_ACCOUNT = "accounts.change_account"
ADMIN_REASON = "from the admin"

# The lifecycle from the admin: what the transition table offers staff, by action.
LIFECYCLE: dict[str, AccountTransition] = {t.name: t for t in transitions.IN_ADMIN}


def account_fire(account_id: int, action: str, *, user, reason: str) -> maker_checker.Deferred | None:
    """Fire ``action`` from the admin through the service; the sensitive ones pass the service's
    maker-checker gate (a ``Deferred``: an approval request was created), the others act at once
    (``None``)."""
    result = services.account_lifecycle(account_id=account_id, action=action, actor=user, reason=reason)
    return result if isinstance(result, maker_checker.Deferred) else None


def available_transitions(account: Account, user) -> list[dict]:
    """What ``user`` may fire on ``account`` now: the state allows it, the user holds
    ``accounts.change_account`` and, for a maker-checker action, may ask for it."""
    if not user.has_perm(CHANGE_ACCOUNT):
        return []
    allowed = {t.name for t in account.get_available_status_transitions()}
    guard = maker_checker.guard()
    out = []
    for action, spec in LIFECYCLE.items():
        action_type = spec.action_type
        if action not in allowed or (action_type is not None and not guard.may_submit(action_type, user)):
            continue
        target = getattr(account, action)._django_fsm.get_transition(account.status).target
        out.append({"action": action, "label": f"Request: {spec.label.lower()}" if action_type else spec.label,
                    "target": target, "needs_approval": action_type is not None,
                    "reason_required": spec.reason_required})
    return out


def _in_units(amount: Decimal | None, currency) -> str:
    """An amount in its currency's places, grouped, with the code (``money_display``)."""
    return format_money(amount, currency)


# --- products ------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    LIMITS = ("max_overdraft_limit", "default_overdraft_limit")

    class Meta:
        model = Product
        fields = ("code", "name", "kind", "currency", "gl_account", "overdraft_allowed", "max_overdraft_limit",
                  "default_overdraft_limit", "tariff_plan_code", "limit_profile_code", "interest_schedule_code",
                  "description", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].queryset = Currency.objects.filter(is_active=True)
        if self.instance.pk:  # limits in the currency's units, not with 18 decimal places
            for name in self.LIMITS:
                if name in self.fields:
                    self.initial[name] = quantize(getattr(self.instance, name), self.instance.currency.exponent)

    def clean(self):
        # services.product_validate, as form errors rather than a failed save.
        data = super().clean()
        candidate = copy.copy(self.instance)
        for name, value in data.items():
            setattr(candidate, name, value)
        if candidate.gl_account_id is None or candidate.currency_id is None:
            return data  # the missing field has its own error already
        try:
            services.product_validate(candidate)
        except DomainError as error:
            self.add_error(None, error.detail)
            return data
        for name in self.LIMITS:
            if name in data:
                data[name] = getattr(candidate, name)  # quantized to the currency's exponent
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ("code", "name", "kind", "currency", "gl_account", "overdraft_allowed", "max_overdraft",
                    "is_active")
    list_filter = ("kind", "currency", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("currency", "gl_account")
    ordering = ("code",)
    # Accounts opened from the product rely on these: fixed once it exists.
    fixed_after_creation = ("code", "kind", "currency", "gl_account", "created_at")

    def get_fields(self, request, obj=None):
        fields = list(ProductForm.Meta.fields)
        return fields if obj is None else [*fields, "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fixed_after_creation

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate a product instead; its accounts refer to it

    def save_model(self, request, obj, form, change) -> None:
        if change:
            editable = [name for name in form.changed_data if name not in self.fixed_after_creation]
            if editable:
                obj.save(update_fields=editable)  # products are audited by model tracking (AUDIT_TRACKED_MODELS)
            return
        data = form.cleaned_data
        product = services.product_create(actor=request.user, **{name: data[name] for name in ProductForm.Meta.fields})
        # The admin goes on with `obj` (log entry, redirect): make it the row the service wrote.
        obj.__dict__.update({key: value for key, value in product.__dict__.items() if key != "_state"})
        obj._state.adding = False
        obj._state.db = product._state.db

    @admin.display(description="max. overdraft", ordering="max_overdraft_limit")
    def max_overdraft(self, product: Product) -> str:
        return _in_units(product.max_overdraft_limit, product.currency)


# --- accounts ------------------------------------------------------------------------------


class AccountStatusChangeInline(NoWritesMixin, admin.TabularInline):
    model = AccountStatusChange
    fields = ("at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_ACCOUNT)  # the history is part of the account


class AccountActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=500,
                             help_text="Why (recorded in the history and the approval request).")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    change_form_template = "admin/accounts/account/change_form.html"
    action_form = AccountActionForm
    list_display = ("iban", "status", "available", "posted", "customer", "name", "product", "opened_at")
    list_filter = ("status", "currency", "product")
    list_select_related = ("customer", "product", "currency")
    search_fields = ("=iban", "=number", "=customer__number", "^name", "^customer__last_name",
                     "^customer__legal_name")
    search_help_text = "An IBAN, account or customer number, or the start of the account's or customer's name."
    ordering = ("-id",)
    show_full_result_count = False
    inlines = (AccountStatusChangeInline,)
    actions = ("freeze_accounts", "unfreeze_accounts", "close_accounts")
    fieldsets = (
        (None, {"fields": ("iban", "number", "name", "customer", "product", "currency")}),
        ("Status", {"fields": ("status", "status_reason", "opened_at", "activated_at", "closed_at")}),
        ("Money", {"fields": ("posted", "held", "available", "overdraft", "ledger_account")}),
        ("Recent transactions and statement", {"fields": activity.ACCOUNT_FIELDS}),
        ("Record", {"fields": ("created_by",)}),
    )
    # Everything but the name: the services own the rest.
    readonly_fields = ("iban", "number", "customer", "product", "currency", "status", "status_reason", "opened_at",
                       "activated_at", "closed_at", "posted", "held", "available", "overdraft", "ledger_account",
                       "created_by", *activity.ACCOUNT_FIELDS)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            posted_balance=selectors.ledger_shard_total("balance"), held_balance=selectors.ledger_shard_total("held"),
        )

    def has_add_permission(self, request) -> bool:
        return False  # accounts are opened through services.account_open (KYC, product, IBAN, ledger account)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # close an account instead; its ledger account and history stay

    def save_model(self, request, obj, form, change) -> None:
        # Only the fields the form changed: a full save would write back the status read with
        # the page and undo a freeze made in the meantime.
        editable = [name for name in form.changed_data if name not in self.readonly_fields]
        if not editable:
            return
        before = Account.objects.filter(pk=obj.pk).values(*editable).first()
        obj.save(update_fields=editable)
        audit_record(action="account.updated", obj=obj, before=before,
                     after={name: getattr(obj, name) for name in editable}, changes=editable, actor=request.user)

    # --- money in units ---

    @admin.display(description="posted balance", ordering="posted_balance")
    def posted(self, account: Account) -> str:
        return _in_units(getattr(account, "posted_balance", None), account.currency)

    @admin.display(description="held")
    def held(self, account: Account) -> str:
        return _in_units(getattr(account, "held_balance", None), account.currency)

    @admin.display(description="available balance")
    def available(self, account: Account) -> str:
        posted, held = getattr(account, "posted_balance", None), getattr(account, "held_balance", None)
        if posted is None or held is None:
            return "—"
        return _in_units(posted - held, account.currency)

    @admin.display(description="overdraft limit")
    def overdraft(self, account: Account) -> str:
        return _in_units(account.overdraft_limit, account.currency)

    @admin.display(description="recent transactions")
    def recent_transactions(self, account: Account):
        return activity.account_transactions(account)

    @admin.display(description="statement")
    def statement_links(self, account: Account):
        return activity.account_statement_links(account)

    # --- the change page: only what this user may fire ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        account = self.get_object(request, object_id)
        if account is not None:
            extra_context["account_transitions"] = available_transitions(account, request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:account_id>/do/<str:action>/", wrap(self.account_action_view),
                     name="accounts_account_action"), *super().get_urls()]

    def account_action_view(self, request, account_id: int, action: str):
        """POST from the change page's workflow panel."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(CHANGE_ACCOUNT) or action not in LIFECYCLE:
            raise PermissionDenied
        account = get_object_or_404(Account, pk=account_id)
        self._fire(request, account.pk, account.iban, action, request.POST.get("reason", "").strip())
        return HttpResponseRedirect(reverse("admin:accounts_account_change", args=[account.pk]))

    def _fire(self, request, account_id: int, iban: str, action: str, reason: str) -> bool:
        spec = LIFECYCLE[action]
        try:
            deferred = account_fire(account_id, action, user=request.user,
                                    reason=reason or f"{spec.done} {ADMIN_REASON}")
        except DomainError as error:
            self.message_user(request, f"{iban}: {error.detail}", messages.ERROR)
            return False
        if deferred is not None:
            self.message_user(request, f"{iban}: approval request #{deferred.request_id} created; "
                              f"{spec.label.lower()} waits for a checker.", messages.SUCCESS)
        else:
            self.message_user(request, f"{iban}: {spec.done}.", messages.SUCCESS)
        return True

    # --- changelist actions ---

    def _transition(self, request, queryset, action: str) -> None:
        reason = request.POST.get("reason", "").strip()
        for account_id, iban in queryset.values_list("pk", "iban"):
            self._fire(request, account_id, iban, action, reason)

    @admin.action(description="Freeze selected accounts (asks for approval)", permissions=["change"])
    def freeze_accounts(self, request, queryset):
        self._transition(request, queryset, "freeze")

    @admin.action(description="Unfreeze selected accounts (asks for approval)", permissions=["change"])
    def unfreeze_accounts(self, request, queryset):
        self._transition(request, queryset, "unfreeze")

    @admin.action(description="Close selected accounts (asks for approval)", permissions=["change"])
    def close_accounts(self, request, queryset):
        self._transition(request, queryset, "close")
