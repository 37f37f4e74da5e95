"""KYC applications in the admin.

Applications are opened and moved through their workflow by the services only: every field is
read-only (decision fields included), nothing is deleted. The change page shows the documents'
metadata (files only to those who may see them, through the API download, never a media URL),
the latest checks and the history, plus a workflow panel offering only the transitions the
signed-in user may fire; changelist actions start reviews and approve. A refusal is shown as an
error message and changes nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from core_banking.common.errors import DomainError
from core_banking.ledger.admin import NoWritesMixin

from . import selectors, services, transitions
from .models import (
    ADD,
    ASSIGN,
    REVIEW,
    SUPERVISE,
    VIEW,
    VIEW_DOCUMENT,
    KycApplication,
    KycCheckResult,
    KycDocument,
    KycHistory,
    RejectionReason,
    kyc_may_see_documents,
)


class _ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)


class KycDocumentInline(_ReadOnlyInline):
    model = KycDocument
    fields = ("uploaded_at", "type", "original_name", "size", "content_type", "expiry_date", "uploaded_by")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        # ``obj`` is the application: its documents only for those who may see them.
        if obj is None:
            return request.user.has_perm(VIEW_DOCUMENT)
        return kyc_may_see_documents(obj, request.user)


class KycCheckInline(_ReadOnlyInline):
    model = KycCheckResult
    verbose_name_plural = "automatic checks (all runs)"
    fields = ("run", "code", "outcome", "detail", "at")
    readonly_fields = fields


class KycHistoryInline(_ReadOnlyInline):
    model = KycHistory
    verbose_name_plural = "history"
    fields = ("at", "action", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields


FIELDSETS = (
    (None, {"fields": ("customer", "kind", "status", "product_kind", "assignee", "status_reason")}),
    ("Risk", {"fields": ("risk_score", "risk_rating", "risk_factors", "screening_outcome", "check_run")}),
    ("Decision", {"fields": ("first_approval_by", "first_approval_at", "decided_by", "decided_at",
                             "rejection_reason_code", "next_review_date")}),
    ("Record", {"fields": ("submitted_at", "created_by", "created_at", "updated_at")}),
)


class KycOpenForm(forms.ModelForm):
    """Open a draft application for a customer (``services.application_create``). The customer
    admin's change page links here with ``?customer=<id>``."""

    class Meta:
        model = KycApplication
        fields = ("customer", "product_kind")

    def clean(self):
        data = super().clean()
        customer = data.get("customer")
        if customer is not None and KycApplication.objects.filter(
                customer=customer, status__in=KycApplication.OPEN_STATES).exists():
            self.add_error("customer", f"{customer.number} already has an open KYC application.")
        return data


OPEN_FIELDSETS = ((None, {"fields": ("customer", "product_kind")}),)


def _transition_action(spec: transitions.KycTransition):
    """The changelist action of one transition of the table (no reason: the ones offered need none)."""

    def run(modeladmin, request, queryset):
        modeladmin._run(request, queryset, spec.name, spec.done)

    run.__name__ = spec.admin_action
    return admin.action(description=spec.admin_label, permissions=["review"])(run)


@admin.register(KycApplication)
class KycApplicationAdmin(admin.ModelAdmin):
    change_form_template = "admin/kyc/kycapplication/change_form.html"
    list_display = ("id", "customer", "kind", "status", "risk_rating", "risk_score", "assignee", "submitted_at",
                    "decided_at")
    list_filter = ("status", "kind", "risk_rating")
    list_select_related = ("customer", "assignee")
    search_fields = ("=customer__number", "customer__last_name", "customer__legal_name")
    raw_id_fields = ("customer",)  # the add page; ``?customer=<id>`` fills it in
    fieldsets = FIELDSETS
    readonly_fields = [name for _title, spec in FIELDSETS for name in spec["fields"]]
    inlines = (KycDocumentInline, KycCheckInline, KycHistoryInline)
    # One changelist action per transition the table offers there (backoffice/kyc/transitions.py).
    actions = tuple(_transition_action(spec) for spec in transitions.IN_ADMIN)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    def has_add_permission(self, request) -> bool:
        # Opening is the service's (``application_create``): the add page only picks the customer.
        return request.user.has_perm(ADD)

    # --- opening an application (the add page) ---

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = KycOpenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return OPEN_FIELDSETS if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # nothing is edited here; the workflow panel calls the services
        created = services.application_create(customer_id=form.cleaned_data["customer"].pk,
                                              product_kind=form.cleaned_data.get("product_kind") or "",
                                              actor=request.user)
        obj.__dict__.update({key: value for key, value in created.__dict__.items() if key != "_state"})
        obj._state.adding, obj._state.db = False, created._state.db

    def add_view(self, request, form_url="", extra_context=None):
        # A refusal the form could not foresee (a concurrent open) is shown, not a server error.
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, f"Not opened: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"KYC-{obj.pk} opened for {obj.customer}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:kyc_kycapplication_change", args=[obj.pk]))

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(REVIEW) or request.user.has_perm(SUPERVISE)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        application = self.get_object(request, object_id)
        if application is not None:
            reviewers = get_user_model().objects.filter(is_staff=True, is_active=True).filter(
                Q(groups__permissions__codename__in=["review_kycapplication", "supervise_kycapplication"])
                | Q(user_permissions__codename__in=["review_kycapplication", "supervise_kycapplication"])
                | Q(is_superuser=True)).distinct()
            extra_context.update({
                "kyc_transitions": selectors.available_transitions(application, request.user),
                "kyc_reason_codes": RejectionReason.choices,
                "kyc_may_assign": request.user.has_perm(ASSIGN) and application.status in KycApplication.OPEN_STATES,
                "kyc_assignees": reviewers,
            })
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:application_id>/do/<str:action>/", wrap(self.action_view),
                     name="kyc_kycapplication_action"), *super().get_urls()]

    def action_view(self, request, application_id: int, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        application = get_object_or_404(KycApplication, pk=application_id)
        try:
            if action == "assign":
                assignee = request.POST.get("assignee") or ""
                assignee_id = int(assignee) if assignee.isascii() and assignee.isdigit() else None
                services.application_assign(application_id=application.pk, actor=request.user,
                                            assignee_id=assignee_id,
                                            reason=request.POST.get("reason", ""))
            else:
                services.application_transition(application_id=application.pk, action=action, actor=request.user,
                                                reason=request.POST.get("reason", ""),
                                                reason_code=request.POST.get("reason_code", ""))
        except DomainError as error:
            self.message_user(request, f"KYC-{application.pk}: {error.detail}", messages.ERROR)
        else:
            self.message_user(request, f"KYC-{application.pk}: {action.replace('_', ' ')} done.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:kyc_kycapplication_change", args=[application.pk]))

    def _run(self, request, queryset, action: str, done: str) -> None:
        changed = 0
        for application_id in queryset.values_list("pk", flat=True):
            try:
                services.application_transition(application_id=application_id, action=action, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"KYC-{application_id}: {error.detail}", messages.ERROR)
                continue
            changed += 1
        if changed:
            self.message_user(request, f"{changed} application(s) {done}.", messages.SUCCESS)
