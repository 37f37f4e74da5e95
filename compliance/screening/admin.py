"""Screening in the admin, read-only: the lists, their versions, the entries and the hits.
Lists are loaded with ``load_watchlist`` or the API; hits are decided through the API."""

from __future__ import annotations

from django.contrib import admin

from core_banking.ledger.admin import NoWritesMixin

from .models import ListEntry, ListVersion, ScreeningHit, WatchList


@admin.register(WatchList)
class WatchListAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_active", "source", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "kind", "source", "is_active", "created_at")


@admin.register(ListVersion)
class ListVersionAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("id", "list", "file_name", "format", "entry_count", "rejected_count", "is_active", "loaded_at",
                    "loaded_by")
    list_filter = ("list", "is_active", "format")
    list_select_related = ("list", "loaded_by")
    readonly_fields = ("list", "file_name", "format", "sha256", "entry_count", "rejected_count", "rejected",
                       "is_active", "loaded_at", "loaded_by")


@admin.register(ListEntry)
class ListEntryAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("external_id", "name", "schema", "version")
    list_filter = ("schema", "version__list")
    list_select_related = ("version", "version__list")
    search_fields = ("external_id", "name")
    show_full_result_count = False
    readonly_fields = ("version", "external_id", "schema", "name", "aliases", "names", "birth_dates", "countries",
                       "programs", "raw")


@admin.register(ScreeningHit)
class ScreeningHitAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("id", "subject_reference", "subject_name", "list", "external_id", "score", "outcome", "status",
                    "context", "created_at")
    list_filter = ("status", "context", "outcome", "list")
    list_select_related = ("list",)
    search_fields = ("subject_reference", "subject_name", "external_id")
    readonly_fields = ("subject_reference", "subject_name", "context", "customer", "payment", "list", "external_id",
                       "entry", "score", "outcome", "evidence", "alert", "status", "decided_by", "decided_at",
                       "decision_note", "created_at")
