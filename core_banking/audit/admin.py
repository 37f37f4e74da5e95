"""The audit trail in the admin: search and read, nothing else (not even for a superuser).

Visible to users with `audit.view_auditevent` (the administrator and compliance officer roles).
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.html import format_html

from .models import AuditEvent


class ActorFilter(admin.SimpleListFilter):
    """Staff and role holders only: listing every user who ever acted would scan the trail.
    Anyone else is found with the search box (username at the time of the event)."""

    title = "actor"
    parameter_name = "actor"
    NOBODY = "none"

    def lookups(self, request, model_admin):
        user_model = get_user_model()
        users = (
            user_model._default_manager.filter(Q(is_staff=True) | Q(groups__isnull=False))
            .distinct()
            .order_by(user_model.USERNAME_FIELD)
        )
        return [(self.NOBODY, "Nobody (system)")] + [
            (str(user.pk), user.get_username()) for user in users
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.NOBODY:
            return queryset.filter(actor__isnull=True)
        if value:
            return queryset.filter(actor_id=value) if value.isascii() and value.isdigit() else queryset.none()
        return queryset


def _pretty_json(value) -> str:
    if value is None:
        return "—"
    return format_html(
        "<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor_display", "action", "object_display", "request_id")
    list_filter = ("action", "channel", ActorFilter)
    date_hierarchy = "occurred_at"
    search_fields = (
        "actor_repr",
        "actor__username",
        "object_type",
        "=object_id",
        "object_repr",
        "=request_id",
    )
    list_select_related = ("actor",)
    ordering = ("-occurred_at", "-id")
    # COUNT(*) over the whole trail on every page view is the first thing to get slow.
    show_full_result_count = False
    actions = None
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "occurred_at",
                    "action",
                    "actor_display",
                    "channel",
                    "request_id",
                    "client_ip",
                    "reason",
                )
            },
        ),
        ("Object", {"fields": ("object_type", "object_id", "object_repr")}),
        ("What changed", {"fields": ("changes_pretty", "before_pretty", "after_pretty")}),
    )
    readonly_fields = (
        "occurred_at",
        "action",
        "actor_display",
        "channel",
        "request_id",
        "client_ip",
        "reason",
        "object_type",
        "object_id",
        "object_repr",
        "changes_pretty",
        "before_pretty",
        "after_pretty",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="actor", ordering="actor_repr")
    def actor_display(self, event: AuditEvent) -> str:
        if event.actor_id is None:
            return event.actor_repr or "system"
        current_name = event.actor.get_username()
        if current_name != event.actor_repr:
            return f"{event.actor_repr} (now {current_name})"
        return event.actor_repr

    @admin.display(description="object")
    def object_display(self, event: AuditEvent) -> str:
        if event.object_type and event.object_id:
            return f"{event.object_type} #{event.object_id} {event.object_repr}".rstrip()
        return event.object_repr or event.object_type or "—"

    @admin.display(description="changed fields")
    def changes_pretty(self, event: AuditEvent) -> str:
        return ", ".join(event.changes) if event.changes else "—"

    @admin.display(description="before")
    def before_pretty(self, event: AuditEvent) -> str:
        return _pretty_json(event.before)

    @admin.display(description="after")
    def after_pretty(self, event: AuditEvent) -> str:
        return _pretty_json(event.after)
