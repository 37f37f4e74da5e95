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

from . import selectors, services, transitions
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


REQUEST_FIELDS = ("action_type", "status", "summary", "target_key", "amount", "currency", "payload_display", "reason",
                  "maker", "required_approvals", "approvals_count", "created_at", "expires_at", "decided_at",
                  "executed_at", "execution_attempts", "execution_error", "result", "status_reason")


def _staff_action(name: str, request_id: int, actor, text: str):
    """The service of a staff action of the table with the text typed next to it: approve's
    comment, reject's and cancel's reason; retry takes none."""
    if name == "approve":
        return services.request_approve(request_id=request_id, actor=actor, comment=text)
    if name == "retry":
        return services.request_retry(request_id=request_id, actor=actor)
    return getattr(services, f"request_{name}")(request_id=request_id, actor=actor, reason=text)


def _changelist_action(action: transitions.StaffAction):
    """The changelist action ``<name>_selected`` of a staff action, for each request selected."""

    def run(modeladmin, request, queryset):
        text = request.POST.get("reason", "").strip()
        modeladmin._run(request, queryset, lambda pk: _staff_action(action.name, pk, request.user, text), action.done)

    run.__name__ = action.admin_action
    return admin.action(description=action.admin_label, permissions=[action.admin_permission])(run)


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
    # One changelist action per staff action of the table (backoffice/approvals/transitions.py).
    actions = tuple(_changelist_action(action) for action in transitions.STAFF_ACTIONS)

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

    @admin.display(description="payload")
    def payload_display(self, obj: ApprovalRequest):
        """The payload key by key in words, amounts through the one money display with their
        currency (``targets.payload_facts``), not the stored JSON strings."""
        from django.utils.html import format_html_join

        from .targets import payload_facts

        facts = payload_facts(obj.payload or {}, obj.currency or "")
        if not facts:
            return "-"
        return format_html_join("", '<div class="payload-fact"><strong>{}:</strong> {}</div>',
                                ((fact["label"], fact["value"]) for fact in facts))

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
        if not self.has_view_permission(request) or action not in transitions.STAFF_BY_NAME:
            raise PermissionDenied
        approval = get_object_or_404(ApprovalRequest, pk=request_id)
        text = request.POST.get("reason", "").strip()
        try:
            result = _staff_action(action, approval.pk, request.user, text)
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
