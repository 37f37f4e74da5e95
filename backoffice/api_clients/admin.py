"""Admin for API clients and tokens.

Clients are created and changed through the services (so the dedicated user and its role group
stay consistent) and are deactivated rather than deleted. Adding a client, and widening one (a new
scope, reactivation), creates an approval request instead (`api_client_create`,
`api_client_change`: an administrator asks, a compliance officer decides); the form first shows
every refusal the request would meet, as form errors. Narrowing a client applies at once.

Tokens are read-only history: the only change is the "revoke" action; a new token is issued with
an action on the client, and its plain value is shown once, in a message.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from backoffice.approvals import guard
from backoffice.approvals.admin_mixins import REASON_FIELD, reason_field, request_link
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import ADMIN

from . import services
from .exceptions import DuplicateClient, InvalidClientName, InvalidOwner, InvalidScope, UnknownRole
from .models import ROLE_NAMES, ApiClient, ApiToken
from .services import (
    api_client_create,
    api_client_update,
    api_client_validate,
    api_client_widens,
    api_token_issue,
    api_token_revoke,
)

_ERROR_FIELDS = {
    InvalidClientName: "name",
    DuplicateClient: "name",
    UnknownRole: "role",
    InvalidScope: "scopes",
    InvalidOwner: "owner",
}


def _add_error(form: forms.BaseForm, error: DomainError) -> None:
    field = _ERROR_FIELDS.get(type(error)) or error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.detail)


def _owners():
    """Who may own a client: active staff members who are not API clients themselves."""
    return get_user_model().objects.filter(is_active=True, is_staff=True, api_client__isnull=True)


class ScopesField(forms.CharField):
    """Scopes as a comma- or space-separated line, e.g. `ledger, payments`."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value) or ""
        return [part for part in value.replace(",", " ").split() if part]


class ApiClientAddForm(forms.ModelForm):
    role = forms.ChoiceField(choices=[(name, name) for name in ROLE_NAMES])
    scopes = ScopesField(required=False, help_text="Comma-separated, e.g. ledger, payments.")
    owner = forms.ModelChoiceField(queryset=_owners(), help_text="The staff member answerable for the client.")
    approval_reason = reason_field(required=False)

    class Meta:
        model = ApiClient
        fields = ["name", "role", "scopes", "owner"]

    def validate_unique(self):
        pass  # the service checks uniqueness with a stable error

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            api_client_validate(name=data["name"], role=data["role"], scopes=data["scopes"],
                                owner=data["owner"])
        except DomainError as error:
            _add_error(self, error)
        return data


class ApiClientChangeForm(forms.ModelForm):
    scopes = ScopesField(required=False, help_text="Comma-separated, e.g. ledger, payments.")
    approval_reason = reason_field(required=False)

    class Meta:
        model = ApiClient
        fields = ["scopes", "is_active"]

    def clean_scopes(self):
        try:
            return services.clean_scopes(self.cleaned_data["scopes"])
        except DomainError as error:
            raise forms.ValidationError(error.detail) from error


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    fk_name = "client"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "scope_list", "is_active", "owner", "created_at", "created_by"]
    list_filter = ["role", "is_active"]
    search_fields = ["name"]
    inlines = [ApiTokenInline]
    actions = ["issue_token_90_days", "issue_token_without_expiry"]

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes) or "-"

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new client has no tokens yet

    # --- maker-checker: what a valid form asks for ----------------------------------------------

    def _approval(self, request, form, original: ApiClient | None):
        """(action type, payload, direct execution) for a valid form; None for a change that
        only narrows the client (it applies at once)."""
        data = form.cleaned_data
        if original is None:
            payload = {"name": data["name"], "role": data["role"], "scopes": data["scopes"],
                       "owner_id": data["owner"].pk}
            return "api_client_create", payload, lambda: api_client_create(
                name=data["name"], role=data["role"], scopes=data["scopes"], owner=data["owner"],
                created_by=request.user)
        scopes, is_active = data["scopes"], data.get("is_active", False)
        if not api_client_widens(original, scopes=scopes, is_active=is_active):
            return None
        payload = {"client_id": original.pk, "scopes": scopes, "is_active": is_active}
        return "api_client_change", payload, lambda: api_client_update(
            client=original, scopes=scopes, is_active=is_active)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiClientChangeForm if obj is not None else ApiClientAddForm
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self
        original = obj

        class ApprovalCheckedForm(form_class):
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                try:
                    spec = model_admin._approval(request, self, original)
                    if spec is not None:
                        action_type, payload, execute = spec
                        guard.check(action_type, payload, actor=request.user, credential=ADMIN,
                                    reason=data.get(REASON_FIELD, ""), execute=execute)
                except DomainError as error:
                    _add_error(self, error)
                return data

        ApprovalCheckedForm.__name__ = form_class.__name__
        return ApprovalCheckedForm

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if _owners().filter(pk=request.user.pk).exists():
            initial.setdefault("owner", request.user.pk)
        return initial

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "role", "scopes", "owner", REASON_FIELD]
        return ["name", "user", "role", "scopes", "is_active", "owner", "created_at", "created_by",
                REASON_FIELD]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "user", "role", "owner", "created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        original = ApiClient.objects.get(pk=obj.pk) if change else None
        spec = self._approval(request, form, original)
        if spec is None:  # narrowing: at once
            data = form.cleaned_data
            saved = api_client_update(client=original, scopes=data["scopes"], is_active=data["is_active"])
        else:
            action_type, payload, execute = spec
            try:
                request._api_client_approval = guard.submit(
                    action_type, payload, actor=request.user, credential=ADMIN,
                    reason=form.cleaned_data.get(REASON_FIELD, ""), execute=execute)
            except DomainError as error:  # changed between the form's check and now
                request._api_client_approval_error = error
                return
            if request._api_client_approval is not None:
                return  # nothing is saved: an approval request was made
            saved = execute()  # the policy lets it through
        # The admin carries on with `obj` (redirects, log entry): make it the saved row.
        obj.__dict__.update(
            {key: value for key, value in saved.__dict__.items() if key != "_state"}
        )
        obj._state.adding = False

    @staticmethod
    def _deferred_or_refused(request) -> bool:
        return (getattr(request, "_api_client_approval", None) is not None
                or getattr(request, "_api_client_approval_error", None) is not None)

    def save_related(self, request, form, formsets, change):
        if self._deferred_or_refused(request):
            for formset in formsets:  # nothing of theirs is saved (the change message reads these)
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return  # nothing of the client changed yet, so nothing of its relations either
        super().save_related(request, form, formsets, change)

    def log_addition(self, request, obj, message):
        if self._deferred_or_refused(request):
            return None  # nothing was added: an approval request was made
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if self._deferred_or_refused(request):
            return None
        return super().log_change(request, obj, message)

    def _answer(self, request, done: str):
        changelist = HttpResponseRedirect(reverse("admin:api_clients_apiclient_changelist"))
        error = getattr(request, "_api_client_approval_error", None)
        if error is not None:
            self.message_user(request, f"Refused: {error.detail}", messages.ERROR)
            return changelist
        deferred = request._api_client_approval
        self.message_user(request, f"Approval request #{deferred.request_id} created: the {done} applies once "
                          "a compliance officer approves it.", messages.SUCCESS)
        if request.user.has_perm("approvals.view_approvalrequest"):
            return HttpResponseRedirect(request_link(deferred.request_id))
        return changelist

    def response_add(self, request, obj, post_url_continue=None):
        if self._deferred_or_refused(request):
            return self._answer(request, "new API client")
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._deferred_or_refused(request):
            return self._answer(request, "change")
        return super().response_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: tokens and the audit trail refer to the client

    def has_issue_token_permission(self, request):
        return request.user.has_perm("api_clients.add_apitoken")

    def _issue(self, request, queryset, expires_in):
        for client in queryset:
            try:
                token, plain = api_token_issue(
                    client=client, expires_in=expires_in, created_by=request.user
                )
            except DomainError as error:
                self.message_user(request, f"{client.name}: {error.detail}", messages.ERROR)
                continue
            expiry = timezone.localtime(token.expires_at) if token.expires_at else "never"
            self.message_user(
                request,
                f"New token for {client.name} (expires {expiry}): {plain} — copy it now, it "
                "is not stored and cannot be shown again.",
                messages.WARNING,
            )

    @admin.action(description="Issue a new token valid 90 days", permissions=["issue_token"])
    def issue_token_90_days(self, request, queryset):
        self._issue(request, queryset, timedelta(days=90))

    @admin.action(description="Issue a new token without expiry", permissions=["issue_token"])
    def issue_token_without_expiry(self, request, queryset):
        self._issue(request, queryset, None)


class TokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("usable", "usable"), ("revoked", "revoked"), ("expired", "expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "usable":
            return queryset.usable()
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "client", "status", "created_at", "expires_at", "last_used_at"]
    list_filter = [TokenStatusFilter, "client"]
    list_select_related = ["client"]
    search_fields = ["prefix", "client__name"]
    fields = ["prefix", "client", "created_at", "created_by", "expires_at", "revoked_at",
              "revoked_by", "last_used_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="status")
    def status(self, obj):
        if obj.revoked_at is not None:
            return "revoked"
        if obj.is_expired():
            return "expired"
        return "usable"

    def has_add_permission(self, request):
        return False  # issue tokens from the API client (an action there)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: a token row is history

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                api_token_revoke(token=token, by=request.user)
            except DomainError:
                continue  # revoked concurrently: the outcome is the one asked for
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
