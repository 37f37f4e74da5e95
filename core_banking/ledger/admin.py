"""The ledger in the admin: configure currencies and open accounts; read everything else.

* Journal entries, postings, holds and business days are read-only for everybody, superusers
  included: the ledger is written by its services only (and the database refuses updates and
  deletes of entries and postings anyway).
* Opening an account goes through ``services.ledger_account_create`` so that its balance shards
  exist before anything posts to it. What the engine relies on (currency, type, balance shards,
  balance rule and overdraft limit, which are copied onto the shards) cannot be changed here.
* A currency's exponent is frozen once a ledger account uses it: amounts already stored in its
  units would no longer fit.
* The trial balance has its own page (``ledgeraccount/trial-balance/``) for holders of
  ``ledger.view_trial_balance``, linked from the ledger accounts list.

Lists avoid per-row queries (balances are one annotation, related rows are joined) and exact
searches that the indexes serve (entry id, external reference, account code).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core_banking.common.admin_filters import AmountRangeFilter, amount_term
from core_banking.common.errors import DomainError
from core_banking.common.money import check_fits
from core_banking.common.money_display import format_money
from core_banking.ledger import selectors, services
from core_banking.ledger.models import (
    AMOUNT,
    AccountBalance,
    BusinessDay,
    Currency,
    Hold,
    JournalEntry,
    LedgerAccount,
    Posting,
)

VIEW_TRIAL_BALANCE = "ledger.view_trial_balance"
VIEW_ENTRY = "ledger.view_journalentry"


def _in_units(amount: Decimal | None, currency) -> str:
    """An amount in its currency's places, grouped, with the code (``money_display``)."""
    return format_money(amount, currency)


class NoWritesMixin:
    """No add, change or delete in the admin, for anyone: the ledger is changed by its services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoWritesMixin, admin.ModelAdmin):
    """Nobody adds, changes or deletes these rows here. Whoever may read journal entries may read
    their postings, holds (pending entries) and business days too, as the API allows."""

    actions = None
    show_full_result_count = False  # a COUNT(*) of the whole table on every page view

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or request.user.has_perm(VIEW_ENTRY)


def _exact_search(queryset, search_term: str, *, id_field: str = "pk", ref_field: str = "external_ref",
                  amount_field: str | None = None):
    """Exact matches only (id, reference, or an amount of either sign where ``amount_field`` is
    given), which the indexes answer on a large table."""
    term = search_term.strip()
    if not term:
        return queryset, False
    amount = amount_term(term) if amount_field else None
    if amount is not None and "." in term:  # 12.50 is an amount; 1250 may be an id or an amount
        return queryset.filter(Q(**{amount_field: amount}) | Q(**{amount_field: -amount})), False
    by_ref = queryset.filter(**{ref_field: term})
    if amount is not None:
        by_ref = by_ref | queryset.filter(Q(**{amount_field: amount}) | Q(**{amount_field: -amount}))
    if term.isascii() and term.isdigit() and len(term) < 19:
        return by_ref | queryset.filter(**{id_field: int(term)}), False
    return by_ref, False


# --- currencies ----------------------------------------------------------------------------


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "exponent", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    fields = ("code", "name", "kind", "exponent", "is_active")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if LedgerAccount.objects.filter(currency=obj).exists():
            return ("code", "exponent")
        return ("code",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate a currency instead; accounts and postings refer to it


# --- ledger accounts -----------------------------------------------------------------------


class LedgerAccountForm(forms.ModelForm):
    class Meta:
        model = LedgerAccount
        fields = ("code", "name", "type", "currency", "parent", "is_synthetic", "balance_rule", "overdraft_limit",
                  "shard_count", "external_id", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].queryset = Currency.objects.filter(is_active=True)

    def clean(self):
        # The checks of services.ledger_account_create, as form errors rather than a failed save.
        data = super().clean()
        account_type = data.get("type") or self.instance.type
        parent = data.get("parent")
        if parent is not None:
            if parent.type != account_type:
                self.add_error("parent", f"A {account_type} account cannot sit under the {parent.type} "
                                         f"account {parent.code}.")
            elif self.instance.pk and _is_in_subtree(parent, self.instance.pk):
                self.add_error("parent", "An account cannot sit under itself or one of its sub-accounts.")
        currency = data.get("currency")
        if currency is not None and data.get("overdraft_limit") is not None:
            try:
                check_fits(data["overdraft_limit"], currency.exponent, currency=currency.code)
            except DomainError as error:
                self.add_error("overdraft_limit", error.detail)
        return data


def _is_in_subtree(account: LedgerAccount, root_id: int) -> bool:
    node, seen = account, set()
    while node is not None and node.pk not in seen:
        if node.pk == root_id:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _shard_total(column: str) -> Coalesce:
    total = (
        AccountBalance.objects.filter(account_id=OuterRef("pk"))
        .values("account_id")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=DecimalField(**AMOUNT)), Decimal(0),
                    output_field=DecimalField(**AMOUNT))


@admin.register(LedgerAccount)
class LedgerAccountAdmin(admin.ModelAdmin):
    form = LedgerAccountForm
    change_list_template = "admin/ledger/ledgeraccount/change_list.html"
    list_display = ("code", "name", "type", "currency", "balance_rule", "posted", "available", "is_active")
    list_filter = ("type", "currency", "is_synthetic", "balance_rule", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("currency",)
    ordering = ("code",)
    autocomplete_fields = ("parent",)
    show_full_result_count = False
    add_fields = ("code", "name", "type", "currency", "parent", "is_synthetic", "balance_rule",
                  "overdraft_limit", "shard_count", "external_id")
    change_fields = ("code", "name", "type", "currency", "parent", "is_synthetic", "balance_rule",
                     "overdraft_limit", "shard_count", "external_id", "is_active", "created_at")
    # The engine copies these onto the balance shards or depends on them: fixed once opened.
    # (An overdraft limit changes through services.ledger_account_set_overdraft.)
    fixed_after_opening = ("type", "currency", "shard_count", "balance_rule", "overdraft_limit", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            posted_balance=_shard_total("balance"), held_balance=_shard_total("held")
        )

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fixed_after_opening

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate an account instead; postings refer to it forever

    def save_model(self, request, obj, form, change) -> None:
        if change:
            editable = [name for name in form.changed_data if name not in self.fixed_after_opening]
            if editable:
                obj.save(update_fields=editable)
            return
        data = form.cleaned_data
        account = services.ledger_account_create(
            code=data["code"], name=data["name"], type=data["type"], currency=data["currency"].code,
            parent=data.get("parent"), is_synthetic=data["is_synthetic"], balance_rule=data["balance_rule"],
            overdraft_limit=data["overdraft_limit"], shard_count=data["shard_count"],
            external_id=data.get("external_id") or "",
        )
        # The admin goes on with `obj` (log entry, redirect): make it the row the service wrote.
        obj.pk = account.pk
        obj.created_at = account.created_at
        obj.is_active = account.is_active
        obj._state.adding = False
        obj._state.db = account._state.db

    @admin.display(description="posted balance", ordering="posted_balance")
    def posted(self, account: LedgerAccount) -> str:
        return _in_units(getattr(account, "posted_balance", None), account.currency)

    @admin.display(description="available balance")
    def available(self, account: LedgerAccount) -> str:
        posted, held = getattr(account, "posted_balance", None), getattr(account, "held_balance", None)
        if posted is None or held is None:
            return "—"
        return _in_units(posted - held, account.currency)

    # --- the trial balance page ---

    def get_urls(self):
        view = self.admin_site.admin_view(self.trial_balance_view)
        return [path("trial-balance/", view, name="ledger_trial_balance"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_view_trial_balance": request.user.has_perm(VIEW_TRIAL_BALANCE)}
        return super().changelist_view(request, extra_context=extra_context)

    def trial_balance_view(self, request):
        if not request.user.has_perm(VIEW_TRIAL_BALANCE):
            raise PermissionDenied
        form = TrialBalanceForm(request.GET)
        report = None
        if form.is_valid():
            report = selectors.trial_balance(as_of=form.cleaned_data["as_of"],
                                             currency=form.cleaned_data["currency"] or None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Trial balance",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "totals": [
                {"currency": code, "debit": debit, "credit": credit, "balanced": debit == credit}
                for code, (debit, credit) in (report.totals.items() if report else [])
            ],
        }
        return TemplateResponse(request, "admin/ledger/trial_balance.html", context)


class TrialBalanceForm(forms.Form):
    as_of = forms.DateField(
        required=False, label="As of business date",
        help_text="The close of this business date; leave empty for now.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    currency = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        codes = Currency.objects.filter(is_active=True).values_list("code", flat=True)
        self.fields["currency"].choices = [("", "All currencies"), *((code, code) for code in codes)]


# --- journal entries and postings ------------------------------------------------------------


class PostingAmountsMixin:
    """Amounts in their currency's units (the column has 18 decimal places for every currency)."""

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, posting: Posting) -> str:
        return _in_units(posting.amount, posting.currency)

    @admin.display(description="balance after")
    def balance_after_display(self, posting: Posting) -> str:
        return _in_units(posting.balance_after, posting.currency)


class PostingInline(NoWritesMixin, PostingAmountsMixin, admin.TabularInline):
    model = Posting
    fields = ("account", "currency", "amount_display", "shard", "balance_after_display", "posted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "currency")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_ENTRY)  # postings are part of the entry


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "business_date", "kind", "external_ref", "description", "reverses_entry")
    list_filter = ("kind", "business_date")
    search_fields = ("=external_ref", "=id")
    search_help_text = "An entry ID, an exact external reference, or an amount of one of its postings (1,217.57)."
    ordering = ("-id",)
    inlines = (PostingInline,)
    fieldsets = (
        (None, {"fields": ("kind", "business_date", "value_date", "created_at", "created_by",
                           "external_ref", "description", "metadata")}),
        ("Corrections", {"fields": ("reverses", "reversed_by_link")}),
        ("Idempotency and tamper evidence", {"fields": ("idempotency_scope", "idempotency_key", "request_hash",
                                                        "chain", "chain_seq", "hash")}),
    )
    readonly_fields = ("kind", "business_date", "value_date", "created_at", "created_by", "external_ref",
                       "description", "metadata", "reverses", "reversed_by_link", "idempotency_scope",
                       "idempotency_key", "request_hash", "chain", "chain_seq", "hash")

    def get_search_results(self, request, queryset, search_term):
        amount = amount_term(search_term)
        if amount is not None and "." in search_term:
            entries = Posting.objects.filter(Q(amount=amount) | Q(amount=-amount)).values("entry_id")
            return queryset.filter(pk__in=entries), False
        return _exact_search(queryset, search_term)

    @admin.display(description="reverses")
    def reverses_entry(self, entry: JournalEntry) -> str:
        return str(entry.reverses_id) if entry.reverses_id else "—"  # the id: no query per row

    @admin.display(description="reversed by")
    def reversed_by_link(self, entry: JournalEntry):
        reversal = JournalEntry.objects.filter(reverses=entry).only("pk").first()
        if reversal is None:
            return "—"
        url = reverse(f"{self.admin_site.name}:ledger_journalentry_change", args=[reversal.pk])
        return format_html('<a href="{}">{}</a>', url, reversal)


@admin.register(Posting)
class PostingAdmin(PostingAmountsMixin, ReadOnlyAdmin):
    list_display = ("id", "entry", "account", "currency", "amount_display", "balance_after_display", "posted_at",
                    "business_date")
    list_filter = ("business_date", "currency", ("amount", AmountRangeFilter))
    list_select_related = ("entry", "account", "currency")
    search_fields = ("=entry__id", "=entry__external_ref")
    search_help_text = "An entry ID, an exact external reference or an amount (1,217.57; either sign)."
    ordering = ("-id",)
    fields = ("entry", "account", "currency", "amount_display", "shard", "balance_after_display", "posted_at",
              "business_date", "value_date")
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return _exact_search(queryset, search_term, id_field="entry_id", ref_field="entry__external_ref",
                             amount_field="amount")


# --- holds and business days ---------------------------------------------------------------


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "debit_account", "credit_account", "amount_display", "currency", "expires_at",
                    "created_at")
    list_filter = ("status",)
    list_select_related = ("debit_account", "credit_account", "currency")
    search_fields = ("=external_ref", "=id")
    search_help_text = "A hold id or an exact external reference."
    ordering = ("-id",)
    fields = ("status", "debit_account", "credit_account", "currency", "amount_display", "posted_amount_display",
              "debit_shard", "credit_shard", "expires_at", "external_ref", "description", "metadata",
              "created_by", "created_at", "resolved_at", "entry", "idempotency_scope", "idempotency_key")
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return _exact_search(queryset, search_term)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, hold: Hold) -> str:
        return _in_units(hold.amount, hold.currency)

    @admin.display(description="posted amount")
    def posted_amount_display(self, hold: Hold) -> str:
        return _in_units(hold.posted_amount, hold.currency)


@admin.register(BusinessDay)
class BusinessDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "opened_at", "closed_at")
    ordering = ("-date",)
    readonly_fields = ("date", "opened_at", "closed_at")
