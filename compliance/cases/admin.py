"""Compliance cases and alerts in the admin: read-only records (the services change them).

* Cases: every field read-only; inline the alerts, notes and history. Changelist actions go
  through the services (a refusal is an error message and changes nothing): "assign to me" (a
  reviewer claims an unassigned case; an officer takes any open case) and "escalate".
  The staff case page (``/staff/compliance/cases/<id>/``) is where a case is worked.
* Alerts: read-only, filterable by status, source and rule.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core_banking.common.errors import DomainError
from core_banking.ledger.admin import NoWritesMixin

from . import services, transitions
from .models import MANAGE, VIEW, VIEW_ALERT, WORK, Alert, Case, CaseNote, CaseStatusChange


class _ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)  # part of the case


class AlertInline(_ReadOnlyInline):
    model = Alert
    fields = ("created_at", "source", "rule_code", "rule_version", "score", "summary", "payment", "status",
              "decided_by", "decided_at", "decision_note", "payment_action")
    readonly_fields = fields
    show_change_link = True


class CaseNoteInline(_ReadOnlyInline):
    model = CaseNote
    fields = ("created_at", "author", "text")
    readonly_fields = fields


class CaseHistoryInline(_ReadOnlyInline):
    model = CaseStatusChange
    verbose_name_plural = "history"
    fields = ("at", "action", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields


def _transition_action(spec: transitions.CaseTransition):
    """The changelist action of a transition the table offers in the admin: its service for each
    case selected, with the table's reason; for those who work cases."""

    def run(modeladmin, request, queryset):
        modeladmin._run(request, queryset, lambda pk: services.case_transition(
            case_id=pk, action=spec.name, actor=request.user, reason=spec.admin_reason), spec.done)

    run.__name__ = spec.admin_action
    return admin.action(description=spec.admin_label, permissions=["work"])(run)


@admin.register(Case)
class CaseAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("number", "customer", "status", "score", "assignee", "opened_at", "due_at", "staff_page")
    list_filter = ("status",)
    list_select_related = ("customer", "assignee")
    search_fields = ("=number", "=customer__number")
    show_full_result_count = False
    fields = ("number", "customer", "status", "score", "assignee", "opened_at", "due_at", "escalated_at",
              "closed_at", "resolution")
    readonly_fields = fields
    inlines = (AlertInline, CaseNoteInline, CaseHistoryInline)
    # Assigning, then one action per transition of the table offered here (transitions.py): escalate.
    actions = ("assign_to_me", *(_transition_action(spec) for spec in transitions.IN_ADMIN))

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    def has_work_permission(self, request) -> bool:
        return request.user.has_perm(WORK) or request.user.has_perm(MANAGE)

    @admin.display(description="work it")
    def staff_page(self, case: Case):
        return format_html('<a href="{}">case page</a>', reverse("compliance_staff:case", args=[case.pk]))

    def _run(self, request, queryset, call, done: str) -> None:
        changed = 0
        for case_id, number in queryset.values_list("pk", "number"):
            try:
                call(case_id)
            except DomainError as error:
                self.message_user(request, f"{number}: {error.detail}", messages.ERROR)
                continue
            changed += 1
        if changed:
            self.message_user(request, f"{changed} case(s) {done}.", messages.SUCCESS)

    @admin.action(description="Assign selected cases to me", permissions=["work"])
    def assign_to_me(self, request, queryset):
        self._run(request, queryset, lambda pk: services.case_assign(case_id=pk, assignee=request.user,
                                                                     actor=request.user), "assigned to you")


@admin.register(Alert)
class AlertAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("id", "case", "customer", "source", "rule_code", "rule_version", "score", "status", "payment",
                    "created_at")
    list_filter = ("status", "source", "rule_code")
    list_select_related = ("case", "customer", "payment")
    search_fields = ("=case__number", "=customer__number", "=payment__reference", "dedup_key")
    show_full_result_count = False
    fields = ("case", "customer", "source", "rule_code", "rule_version", "score", "summary", "facts", "payment",
              "dedup_key", "status", "decided_by", "decided_at", "decision_note", "payment_action",
              "payment_approval_request_id", "created_at")
    readonly_fields = fields
    actions = None

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_ALERT)
