"""Staff users and role groups in the admin, without a way around maker-checker.

Django's stock user admin lets anyone who may change users tick "superuser status", add direct
permissions and put people in any group: an administrator could make themselves a superuser or a
finance officer. Here:

* superuser status, direct permissions, groups, last login and date joined are read-only on the
  user form, for everyone;
* roles change only through the list's actions: **Request a role** creates a ``role_grant``
  approval request (a compliance officer decides; never the person who gets the role), **Remove
  a role** applies at once (it only narrows), both with the role and reason picked next to the
  action;
* the role groups (and their permissions) are read-only: the catalogue in ``roles.py`` and its
  migrations are their only source. Only a superuser (break-glass, outside the roles) may edit
  a group.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred

from . import services
from .roles import STAFF_ROLE_NAMES

User = get_user_model()

for _model in (User, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class RoleActionForm(ActionForm):
    role = forms.ChoiceField(required=False, choices=[("", "— role —"), *((r, r) for r in STAFF_ROLE_NAMES)])
    reason = forms.CharField(required=False, max_length=500, help_text="Why (kept with the request and the audit).")


@admin.register(User)
class StaffUserAdmin(BaseUserAdmin):
    action_form = RoleActionForm
    actions = ["request_role", "remove_role"]
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active", "roles")
    LOCKED = ("is_superuser", "groups", "user_permissions", "last_login", "date_joined")

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *(self.LOCKED if obj is not None else ()))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user) -> str:
        return ", ".join(sorted(g.name for g in user.groups.all())) or "—"

    def _role_and_reason(self, request) -> tuple[str, str] | None:
        role, reason = request.POST.get("role", ""), (request.POST.get("reason") or "").strip()
        if role not in STAFF_ROLE_NAMES or not reason:
            self.message_user(request, "Pick a role and give a reason next to the action.", messages.ERROR)
            return None
        return role, reason

    @admin.action(description="Request a role for the selected staff (needs a compliance officer's approval)",
                  permissions=["change"])
    def request_role(self, request, queryset):
        picked = self._role_and_reason(request)
        if picked is None:
            return
        role, reason = picked
        for user in queryset:
            try:
                result = services.role_grant(user_id=user.pk, role=role, actor=request.user, reason=reason)
            except DomainError as error:
                self.message_user(request, f"{user.username}: {error.detail}", messages.ERROR)
                continue
            if isinstance(result, Deferred):
                self.message_user(request, f"{user.username}: approval request #{result.request_id} created; the "
                                  f"{role} role is granted once a compliance officer approves it.", messages.SUCCESS)
            else:
                self.message_user(request, f"{user.username}: {role} granted.", messages.SUCCESS)

    @admin.action(description="Remove a role from the selected staff (applies at once)", permissions=["change"])
    def remove_role(self, request, queryset):
        picked = self._role_and_reason(request)
        if picked is None:
            return
        role, reason = picked
        for user in queryset:
            try:
                services.role_remove(user_id=user.pk, role=role, actor=request.user, reason=reason)
            except DomainError as error:
                self.message_user(request, f"{user.username}: {error.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{user.username}: {role} removed.", messages.SUCCESS)


@admin.register(Group)
class RoleGroupAdmin(BaseGroupAdmin):
    """Role groups: read-only but for a superuser (break-glass)."""

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
