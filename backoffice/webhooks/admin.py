"""Webhooks in the admin: subscriptions (configuration, audited by model tracking) and the
deliveries (read-only; dead or delivered ones can be redelivered, audited), and the outbox
itself, read-only (``events.Event``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from core_banking.events.catalogue import EVENT_TYPES
from core_banking.events.models import Event
from core_banking.ledger.admin import NoWritesMixin

from .models import Delivery, Subscription
from .relay import redeliver, relay_pass

REDELIVER = "webhooks.change_delivery"


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["client", "url", "types", "is_active", "cursor", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["client__name", "url"]
    readonly_fields = ["secret", "cursor", "created_at"]
    fields = ["client", "url", "event_types", "is_active", "secret", "cursor", "created_at"]
    actions = ["run_relay"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate a subscription; its deliveries are history

    @admin.display(description="Event types")
    def types(self, obj: Subscription) -> str:
        return ", ".join(obj.event_types) or "all"

    def save_model(self, request, obj, form, change):
        unknown = sorted(set(obj.event_types or []) - set(EVENT_TYPES))
        if unknown or not isinstance(obj.event_types, list):
            messages.error(request, f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}.")
            obj.event_types = [t for t in (obj.event_types or []) if t in EVENT_TYPES]
        super().save_model(request, obj, form, change)

    @admin.action(description="Run the relay now (deliver what is due)", permissions=["change"])
    def run_relay(self, request, queryset):
        counts = relay_pass(budget_seconds=30)
        self.message_user(request, f"Relay pass: {counts['fanned_out']} new, {counts['delivered']} delivered, "
                          f"{counts['retrying']} to retry, {counts['dead']} dead.")


@admin.register(Delivery)
class DeliveryAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ["id", "event_link", "subscription", "subject", "status", "attempts", "last_status_code",
                    "next_attempt_at", "delivered_at"]
    list_filter = ["status"]
    search_fields = ["subject", "subscription__client__name"]
    list_select_related = ["event", "subscription__client"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["redeliver_selected"]
    show_full_result_count = False

    @admin.display(description="Event")
    def event_link(self, obj: Delivery) -> str:
        return format_html("{} #{}", obj.event.type, obj.event_id)

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm(REDELIVER)

    @admin.action(description="Redeliver (back to pending, due now)", permissions=["redeliver"])
    def redeliver_selected(self, request, queryset):
        count = redeliver(delivery_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        self.message_user(request, f"{count} delivery(ies) queued again; pending ones were left as they were.")


@admin.register(Event)
class EventAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ["id", "type", "aggregate_type", "aggregate_id", "occurred_at", "txid"]
    list_filter = ["type", "aggregate_type"]
    search_fields = ["=aggregate_id"]
    readonly_fields = [f.name for f in Event._meta.fields]
    show_full_result_count = False
