"""Maker-checker in the admin.

* Policies (one per action type, created with the registry's defaults on first use) are
  configuration: editable by whoever holds ``approvals.change_approvalpolicy``, audited by model
  tracking; role names are checked against the role catalogue.
* Requests are created through the API, ``services.request_create`` or the staff routes of the
  sensitive actions (``guard.py``), and never edited or deleted here: every field is read-only.
  Approve, reject, cancel and retry are changelist actions that call the services (the comment
  or reason comes from the field next to the action picker), and the change page's workflow
  panel offers only those the signed-in user may fire on that request now
  (``selectors.available_actions``), each with its comment or reason field. A refusal is shown
  as an error message and changes nothing. The "queue" filter shows my inbox (waiting for me)
  or the requests I made.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from backoffice.staff.roles import ROLE_NAMES
from core_banking.common.errors import DomainError
from core_banking.ledger.admin import NoWritesMixin

from . import selectors, services
from .models import DECIDE, INITIATE, VIEW, ApprovalDecision, ApprovalHistory, ApprovalPolicy, ApprovalRequest
from .registry import ACTION_TYPE_CHOICES


class ApprovalPolicyForm(forms.ModelForm):
    action_type = forms.ChoiceField(choices=ACTION_TYPE_CHOICES)

    class Meta:
        model = ApprovalPolicy
        fields = ("action_type", "required_approvals", "initiator_roles", "checker_roles", "threshold_amount",
                  "threshold_currency", "expiry_hours")

    def clean(self):
        data = super().clean()
        for name in ("initiator_roles", "checker_roles"):
            value = data.get(name)
            if not isinstance(value, list) or not all(isinstance(r, str) and r in ROLE_NAMES for r in value):
                self.add_error(name, f"a list of role names out of: {', '.join(ROLE_NAMES)}")
        if data.get("threshold_amount") is not None and not data.get("threshold_currency"):
            self.add_error("threshold_currency", "a threshold needs its currency")
        return data


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    form = ApprovalPolicyForm
    list_display = ("action_type", "required_approvals", "initiator_roles", "checker_roles", "threshold_amount",
                    "threshold_currency", "expiry_hours")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("action_type",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the defaults would come back on first use; change a policy instead


class ApprovalActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=500,
                             help_text="Comment for approve; reason for reject (required) and cancel.")


class DecisionInline(NoWritesMixin, admin.TabularInline):
    model = ApprovalDecision
    fields = ("at", "checker", "decision", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)


class HistoryInline(NoWritesMixin, admin.TabularInline):
    model = ApprovalHistory
    verbose_name_plural = "history"
    fields = ("at", "action", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("inbox", "Waiting for me"), ("mine", "Made by me")]

    def queryset(self, request, queryset):
        if self.value() == "inbox":
            return queryset.filter(selectors.inbox_condition_for_user(request.user))
        if self.value() == "mine":
            return queryset.filter(maker=request.user)
        return queryset


REQUEST_FIELDS = ("action_type", "status", "summary", "target_key", "amount", "currency", "payload", "reason",
                  "maker", "required_approvals", "approvals_count", "created_at", "expires_at", "decided_at",
                  "executed_at", "execution_attempts", "execution_error", "result", "status_reason")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    change_form_template = "admin/approvals/approvalrequest/change_form.html"
    action_form = ApprovalActionForm
    list_display = ("id", "action_label", "status", "summary", "amount", "maker", "approvals", "expires_at",
                    "failed")
    list_filter = (QueueFilter, "status", "action_type")
    list_select_related = ("maker",)
    search_fields = ("=id", "target_key", "summary")
    fields = REQUEST_FIELDS
    readonly_fields = REQUEST_FIELDS
    inlines = (DecisionInline, HistoryInline)
    actions = ("approve_selected", "reject_selected", "cancel_selected", "retry_selected")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    @admin.display(description="action", ordering="action_type")
    def action_label(self, obj: ApprovalRequest) -> str:
        """The action in words ("Freeze an account"), not its code."""
        from .registry import ACTION_TYPES

        action = ACTION_TYPES.get(obj.action_type)
        return action.label if action is not None else obj.action_type.replace("_", " ")

    def has_add_permission(self, request) -> bool:
        return False  # requests are made through the API or the services, with their validation

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm(DECIDE)

    def has_initiate_permission(self, request) -> bool:
        return request.user.has_perm(INITIATE)

    @admin.display(description="approvals")
    def approvals(self, request: ApprovalRequest) -> str:
        return f"{request.approvals_count}/{request.required_approvals}"

    @admin.display(description="execution failed", boolean=True)
    def failed(self, request: ApprovalRequest) -> bool:
        return bool(request.execution_error)

    # --- the change page: only what this user may fire ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        approval = self.get_object(request, object_id)
        if approval is not None:
            extra_context["approval_actions"] = selectors.available_actions(approval, request.user)
            extra_context["approval_target"] = selectors.request_target(approval, request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:request_id>/do/<str:action>/", wrap(self.request_action_view),
                     name="approvals_approvalrequest_action"), *super().get_urls()]

    def request_action_view(self, request, request_id: int, action: str):
        """POST from the change page's workflow panel; the service decides."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request) or action not in selectors.ACTIONS:
            raise PermissionDenied
        approval = get_object_or_404(ApprovalRequest, pk=request_id)
        text = request.POST.get("reason", "").strip()
        calls = {
            "approve": lambda: services.request_approve(request_id=approval.pk, actor=request.user, comment=text),
            "reject": lambda: services.request_reject(request_id=approval.pk, actor=request.user, reason=text),
            "cancel": lambda: services.request_cancel(request_id=approval.pk, actor=request.user, reason=text),
            "retry": lambda: services.request_retry(request_id=approval.pk, actor=request.user),
        }
        try:
            result = calls[action]()
        except DomainError as error:
            self.message_user(request, f"#{approval.pk}: {error.detail}", messages.ERROR)
        else:
            if result.status == ApprovalRequest.Status.APPROVED and result.execution_error:
                self.message_user(request, f"#{approval.pk}: approved, but execution failed: "
                                  f"{result.execution_error}", messages.WARNING)
            else:
                self.message_user(request, f"#{approval.pk}: {result.get_status_display().lower()}.",
                                  messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:approvals_approvalrequest_change", args=[approval.pk]))

    def _run(self, request, queryset, call, done: str) -> None:
        changed = 0
        for request_id in queryset.values_list("pk", flat=True):
            try:
                result = call(request_id)
            except DomainError as error:
                self.message_user(request, f"#{request_id}: {error.detail}", messages.ERROR)
                continue
            if getattr(result, "execution_error", "") and result.status == ApprovalRequest.Status.APPROVED:
                self.message_user(request, f"#{request_id}: approved, but execution failed: "
                                  f"{result.execution_error}", messages.WARNING)
            changed += 1
        if changed:
            self.message_user(request, f"{changed} request(s) {done}.", messages.SUCCESS)

    @admin.action(description="Approve selected requests", permissions=["decide"])
    def approve_selected(self, request, queryset):
        comment = request.POST.get("reason", "").strip()
        self._run(request, queryset, lambda pk: services.request_approve(
            request_id=pk, actor=request.user, comment=comment), "approved")

    @admin.action(description="Reject selected requests (reason needed)", permissions=["decide"])
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        self._run(request, queryset, lambda pk: services.request_reject(
            request_id=pk, actor=request.user, reason=reason), "rejected")

    @admin.action(description="Cancel selected requests (mine only)", permissions=["initiate"])
    def cancel_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        self._run(request, queryset, lambda pk: services.request_cancel(
            request_id=pk, actor=request.user, reason=reason), "cancelled")

    @admin.action(description="Retry the failed execution of selected requests", permissions=["decide"])
    def retry_selected(self, request, queryset):
        self._run(request, queryset, lambda pk: services.request_retry(request_id=pk, actor=request.user),
                  "executed again")
