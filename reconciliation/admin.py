"""Reconciliation in the admin: external accounts are configured here (finance); statements,
lines, matches, breaks and safeguarding checks are read-only (they change through the services:
import, matching, the break workflow), with an "auto-match now" action on external accounts."""

from __future__ import annotations

from django.contrib import admin, messages

from core_banking.common.errors import DomainError
from core_banking.ledger.admin import NoWritesMixin

from . import services
from .models import Break, BreakHistory, ExternalAccount, Match, SafeguardingCheck, Statement, StatementLine


class _ReadOnly(NoWritesMixin, admin.ModelAdmin):
    actions = None
    show_full_result_count = False


@admin.register(ExternalAccount)
class ExternalAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "account_identifier", "bank_bic", "currency", "purpose", "ledger_account", "is_active")
    list_filter = ("purpose", "currency", "is_active")
    search_fields = ("name", "account_identifier", "bank_bic")
    raw_id_fields = ("ledger_account",)
    actions = ["automatch_now"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Auto-match the selected accounts now", permissions=["match"])
    def automatch_now(self, request, queryset):
        for account in queryset:
            try:
                run = services.automatch_run(external_account_id=account.pk, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{account}: {error.detail}", messages.ERROR)
                continue
            self.message_user(request, f"{account}: {run.lines_matched} line(s) and {run.postings_matched} "
                              f"posting(s) matched, {run.suggestions} suggestion(s)", messages.SUCCESS)

    def has_match_permission(self, request) -> bool:
        return request.user.has_perm("reconciliation.match_manually")


class LineInline(NoWritesMixin, admin.TabularInline):
    model = StatementLine
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("position", "booking_date", "value_date", "amount", "currency", "reference", "counterparty_name",
              "status")
    readonly_fields = fields


@admin.register(Statement)
class StatementAdmin(_ReadOnly):
    list_display = ("id", "external_account", "statement_id", "period_from", "period_to", "opening_balance",
                    "closing_balance", "balanced", "line_count", "rejected_count", "imported_at")
    list_filter = ("balanced", "format", "external_account")
    search_fields = ("statement_id", "statement_key")
    inlines = [LineInline]


@admin.register(StatementLine)
class StatementLineAdmin(_ReadOnly):
    list_display = ("id", "statement", "position", "value_date", "amount", "currency", "reference", "status")
    list_filter = ("status", "external_account")
    search_fields = ("reference", "bank_reference", "counterparty_name", "counterparty_iban")


@admin.register(Match)
class MatchAdmin(_ReadOnly):
    list_display = ("id", "external_account", "rule", "state", "matched_by", "matched_at", "unmatched_at")
    list_filter = ("state", "rule", "external_account")


class BreakHistoryInline(NoWritesMixin, admin.TabularInline):
    model = BreakHistory
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("from_status", "to_status", "reason", "actor", "at")
    readonly_fields = fields


@admin.register(Break)
class BreakAdmin(_ReadOnly):
    list_display = ("id", "external_account", "item_date", "amount", "status", "root_cause", "owner",
                    "approval_request_id")
    list_filter = ("status", "root_cause", "external_account")
    inlines = [BreakHistoryInline]


@admin.register(SafeguardingCheck)
class SafeguardingCheckAdmin(_ReadOnly):
    list_display = ("date", "currency", "client_money", "safeguarded", "difference", "outcome")
    list_filter = ("outcome", "currency")
