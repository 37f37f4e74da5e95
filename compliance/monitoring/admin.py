"""Monitoring rules in the admin: each rule with its versions inline, all read-only (a version
is append-only in the database; a rule changes only through ``monitoring_rule_change``
approvals). Two actions, for who holds ``manage_monitoringrule``: activate and deactivate the
selected rules: each creates an approval request (or executes, when the gate lets it through).
New versions are proposed over REST (``/api/v1/compliance/monitoring/rules/<id>/versions/``).
"""

from __future__ import annotations

from django.contrib import admin, messages

from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred

from . import services
from .models import MonitoringRule, RuleVersion


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RuleVersionInline(ReadOnlyMixin, admin.TabularInline):
    model = RuleVersion
    extra = 0
    can_delete = False
    fields = ("version", "effective_from", "action", "score", "parameters", "customer_types", "risk_ratings", "note",
              "created_by", "created_at")
    readonly_fields = fields
    ordering = ("-version",)


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "kind", "name", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("code", "kind", "name", "description", "is_active", "created_at", "updated_at")
    inlines = [RuleVersionInline]
    actions = ["activate_selected", "deactivate_selected"]

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("compliance_monitoring.manage_monitoringrule")

    def _set_active(self, request, queryset, is_active: bool) -> None:
        verb = "activate" if is_active else "deactivate"
        for rule in queryset:
            try:
                result = services.rule_set_active(rule_id=rule.pk, is_active=is_active, actor=request.user,
                                                  reason=f"{verb} requested in the admin by {request.user}")
            except DomainError as error:
                self.message_user(request, f"{rule.code}: {error.detail}", messages.ERROR)
                continue
            if isinstance(result, Deferred):
                self.message_user(request, f"{rule.code}: approval request #{result.request_id} created "
                                           f"(a second compliance officer decides).", messages.INFO)
            else:
                self.message_user(request, f"{rule.code}: {verb}d.", messages.SUCCESS)

    @admin.action(description="Activate the selected rules (maker-checker)", permissions=["manage"])
    def activate_selected(self, request, queryset) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate the selected rules (maker-checker)", permissions=["manage"])
    def deactivate_selected(self, request, queryset) -> None:
        self._set_active(request, queryset, False)
