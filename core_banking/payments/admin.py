"""Payments and FX in the admin.

Payments are read-only here (they are made through the API or staff pages, whose services own
the transaction, the fees, the checks and the ledger entry); reviewers release or reject a held
payment with the admin actions, which call the same services. FX rates are added, never edited
(a new rate row supersedes the old one, so history stays), through ``services.fx_rate_set``.
Booking accounts are configuration that operations maintain.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q

from core_banking.common.admin_filters import AmountRangeFilter, amount_term
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred
from core_banking.common.money_display import format_money
from core_banking.ledger.admin import NoWritesMixin

from . import services, transitions
from .models import BookingAccount, FxQuote, FxRate, Payment, PaymentStatusChange


class StatusChangeInline(NoWritesMixin, admin.TabularInline):
    model = PaymentStatusChange
    extra = 0
    fields = ["at", "from_status", "to_status", "reason", "actor"]
    readonly_fields = fields
    can_delete = False


def _transition_action(spec: transitions.PaymentTransition):
    """The changelist action ``<slug>_selected`` of a staff transition: its service for each
    payment selected, with the table's reason; for those who may review payments."""

    def run(modeladmin, request, queryset):
        modeladmin._act(request, queryset, spec)

    run.__name__ = f"{spec.slug}_selected"
    return admin.action(description=spec.admin_label, permissions=["review"])(run)


@admin.register(Payment)
class PaymentAdmin(NoWritesMixin, admin.ModelAdmin):
    # Business date, amount and status first: what a person scans for; fits a laptop screen.
    list_display = ["business_date", "amount_display", "status", "reference", "kind", "debtor_account",
                    "creditor_account", "fee_amount"]
    list_filter = ["status", "kind", "channel", "currency", ("amount", AmountRangeFilter), "business_date"]
    list_select_related = ["debtor_account", "creditor_account", "currency"]
    search_help_text = "Exact reference, end-to-end ID, IBAN (ours or the counterparty's) or amount (1,217.57)."
    search_fields = ["reference"]  # replaced by get_search_results: exact, indexed matches only
    date_hierarchy = "business_date"
    show_full_result_count = False
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [StatusChangeInline]
    # One changelist action per staff transition the table offers in the admin
    # (core_banking/payments/transitions.py): release and reject, for reviewers.
    actions = tuple(_transition_action(spec) for spec in transitions.IN_ADMIN)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Payment) -> str:
        return format_money(obj.amount, obj.currency)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        compact = term.replace(" ", "").upper()
        condition = Q(reference=compact) | Q(end_to_end_id=term) | Q(counterparty_iban=compact) \
            | Q(debtor_account__iban=compact) | Q(creditor_account__iban=compact)
        amount = amount_term(term)
        if amount is not None:
            condition |= Q(amount=amount)
        return queryset.filter(condition), False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("payments.view_payment")

    def _act(self, request, queryset, spec: transitions.PaymentTransition) -> None:
        if not request.user.has_perm(spec.permission):
            self.message_user(request, "You may not review payments.", messages.ERROR)
            return
        service = getattr(services, spec.service)
        done = 0
        for payment in queryset:
            try:
                result = service(payment_id=payment.pk, actor=request.user, reason=spec.admin_reason)
            except DomainError as error:
                self.message_user(request, f"{payment.reference}: {error.detail}", messages.ERROR)
                continue
            if isinstance(result, Deferred):
                self.message_user(request, f"{payment.reference}: a release of this amount needs a second "
                                  f"person; approval request #{result.request_id} was created.", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} payment(s) {spec.done}.", messages.SUCCESS)

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(transitions.REVIEW_PAYMENT)


class FxRateForm(forms.ModelForm):
    class Meta:
        model = FxRate
        fields = ["base", "quote", "mid_rate", "spread", "valid_from", "source"]


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    form = FxRateForm
    list_display = ["base", "quote", "mid_rate", "spread", "valid_from", "source", "created_by"]
    list_filter = ["base", "quote"]
    ordering = ["base", "quote", "-valid_from"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # The form has validated the model's constraints (positive rate, spread below 1, two
        # currencies); the service records who published the rate and audits it.
        row = services.fx_rate_set(base=obj.base_id, quote=obj.quote_id, mid_rate=obj.mid_rate,
                                   spread=obj.spread, valid_from=obj.valid_from, source=obj.source,
                                   actor=request.user)
        obj.pk = row.pk


@admin.register(FxQuote)
class FxQuoteAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "sell_amount", "sell_currency", "buy_amount", "buy_currency", "rate",
                    "expires_at"]
    list_filter = ["sell_currency", "buy_currency"]
    search_fields = ["=id"]
    show_full_result_count = False


@admin.register(BookingAccount)
class BookingAccountAdmin(admin.ModelAdmin):
    list_display = ["purpose", "currency", "ledger_account"]
    list_filter = ["purpose", "currency"]
    raw_id_fields = ["ledger_account"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
