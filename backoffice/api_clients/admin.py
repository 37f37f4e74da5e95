"""Admin for API clients and tokens.

Clients are created and changed through the services (so the dedicated user and its groups stay
consistent) and are deactivated rather than deleted. Tokens are read-only history: the only
change is the "revoke" action; a new token is issued with an action on the client, and its plain
value is shown once, in a message.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from core_banking.common.errors import DomainError

from . import services
from .exceptions import DuplicateClient, InvalidClientName, InvalidScope, UnknownRole
from .models import ROLE_NAMES, ApiClient, ApiToken
from .services import (
    api_client_create,
    api_client_update,
    api_client_validate,
    api_token_issue,
    api_token_revoke,
)

_ERROR_FIELDS = {
    InvalidClientName: "name",
    DuplicateClient: "name",
    UnknownRole: "role",
    InvalidScope: "scopes",
}


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

    class Meta:
        model = ApiClient
        fields = ["name", "role", "scopes"]

    def validate_unique(self):
        pass  # the service checks uniqueness with a stable error

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            api_client_validate(name=data["name"], role=data["role"], scopes=data["scopes"])
        except DomainError as error:
            self.add_error(_ERROR_FIELDS.get(type(error)), error.detail)
        return data


class ApiClientChangeForm(forms.ModelForm):
    scopes = ScopesField(required=False, help_text="Comma-separated, e.g. ledger, payments.")

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
    list_display = ["name", "role", "scope_list", "is_active", "created_at", "created_by"]
    list_filter = ["role", "is_active"]
    search_fields = ["name"]
    inlines = [ApiTokenInline]
    actions = ["issue_token_90_days", "issue_token_without_expiry"]

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes) or "-"

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new client has no tokens yet

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiClientChangeForm if obj is not None else ApiClientAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "role", "scopes"]
        return ["name", "user", "role", "scopes", "is_active", "created_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "user", "role", "created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = api_client_update(
                client=obj, scopes=data["scopes"], is_active=data["is_active"]
            )
        else:
            saved = api_client_create(
                name=data["name"], role=data["role"], scopes=data["scopes"],
                created_by=request.user,
            )
        # The admin carries on with `obj` (redirects, log entry): make it the saved row.
        obj.__dict__.update(
            {key: value for key, value in saved.__dict__.items() if key != "_state"}
        )
        obj._state.adding = False

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
