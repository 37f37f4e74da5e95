"""Interest in the admin.

* Schedules are configuration: created and changed here (their code is fixed once they exist,
  products name it), never deleted (deactivate instead). Their rate versions are an inline:
  a new version may be added; a version is read-only once accruals used it (the rows it priced
  must keep meaning what they meant).
* A rate version has its own page with its tiers inline, under the same rule.
* Accrual rows and capitalisations are written by the end of day only: read-only lists.
"""

from __future__ import annotations

from django.contrib import admin

from core_banking.ledger.admin import NoWritesMixin

from .models import InterestAccrual, InterestCapitalisation, InterestRate, InterestRateSchedule, InterestRateTier


def _used(version: InterestRate | None) -> bool:
    return version is not None and version.pk is not None and version.accruals.exists()


class InterestRateInline(admin.TabularInline):
    model = InterestRate
    fields = ("effective_from", "credit_rate", "debit_rate", "note", "created_at")
    readonly_fields = ("created_at",)
    extra = 0
    show_change_link = True
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None and obj.pk else super().has_change_permission(request, obj)


@admin.register(InterestRateSchedule)
class InterestRateScheduleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "currency", "convention", "accrual_basis", "capitalisation_frequency",
                    "tier_mode", "minimum_balance", "withholding_tax_rate", "is_active")
    list_filter = ("is_active", "currency", "accrual_basis", "capitalisation_frequency")
    search_fields = ("code", "name")
    inlines = [InterestRateInline]

    def get_readonly_fields(self, request, obj=None):
        return ("code", "currency", "created_at", "updated_at") if obj is not None else ("created_at", "updated_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InterestRateTierInline(admin.TabularInline):
    model = InterestRateTier
    fields = ("from_balance", "rate")
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return not _used(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _used(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _used(obj) and super().has_delete_permission(request, obj)


@admin.register(InterestRate)
class InterestRateAdmin(admin.ModelAdmin):
    list_display = ("schedule", "effective_from", "credit_rate", "debit_rate", "note", "created_at")
    list_filter = ("schedule",)
    list_select_related = ("schedule",)
    fields = ("schedule", "effective_from", "credit_rate", "debit_rate", "note", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")
    inlines = [InterestRateTierInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return not _used(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InterestAccrual)
class InterestAccrualAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("account", "business_date", "schedule", "balance", "rate", "amount", "cumulative", "posted",
                    "period_start")
    list_filter = ("schedule", "business_date")
    list_select_related = ("account", "schedule")
    search_fields = ("=account__iban", "=account__number")
    raw_id_fields = ("account",)
    date_hierarchy = "business_date"
    show_full_result_count = False


@admin.register(InterestCapitalisation)
class InterestCapitalisationAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("account", "schedule", "period_start", "period_end", "interest", "withholding_tax", "net",
                    "entry", "created_at")
    list_filter = ("schedule", "period_end")
    list_select_related = ("account", "schedule")
    search_fields = ("=account__iban", "=account__number")
    raw_id_fields = ("account", "entry")
    show_full_result_count = False
