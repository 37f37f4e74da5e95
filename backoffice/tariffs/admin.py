"""Tariffs in the admin: plans with their versions, rules with their tiers, customer overrides;
usage counters read-only.

The forms refuse what the services refuse (they call the same ``*_validate`` functions), and
prices that may have been charged stay fixed:

* a version that has started (``effective_from`` on or before the current business date) keeps
  its start date and its rules: its rules are read-only here and it cannot be deleted; a new
  version starts no earlier than the current business date (a plan's first may be back-dated);
* rules are added only to versions that have not started;
* plans are deactivated, never deleted (products and payments' fee details name them).

Changes are audited through ``AUDIT_TRACKED_MODELS`` (the services add their own events).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from core_banking.common.errors import DomainError
from core_banking.ledger.engine import current_business_date

from . import selectors, services
from .models import CustomerTariff, FeeRule, FeeTier, FeeUsage, FeeUsageRecord, TariffPlan, TariffVersion


def _started(version: TariffVersion | None) -> bool:
    return version is not None and version.pk is not None and version.effective_from <= current_business_date()


class NoWritesMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- plans and versions --------------------------------------------------------------------


class TariffPlanForm(forms.ModelForm):
    class Meta:
        model = TariffPlan
        fields = ("code", "name", "description", "is_active")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        plan = TariffPlan(code=data.get("code", self.instance.code), name=data.get("name", ""))
        try:
            services.plan_validate(plan)
        except DomainError as error:
            self.add_error(error.extra.get("field"), error.detail)
        else:
            if "code" in data:
                data["code"] = plan.code
        return data


class TariffVersionForm(forms.ModelForm):
    class Meta:
        model = TariffVersion
        fields = ("effective_from", "note")

    def clean(self):
        data = super().clean()
        effective_from = data.get("effective_from")
        if self.errors or effective_from is None:
            return data
        version = self.instance
        if version.pk is not None:
            if "effective_from" in self.changed_data:
                before = TariffVersion.objects.get(pk=version.pk)
                if _started(before):
                    self.add_error("effective_from", "This version has started; its start date is fixed.")
                    return data
        elif version.plan_id is None:
            return data  # a new plan: its first version may start on any date
        if version.pk is None or "effective_from" in self.changed_data:
            try:
                services.version_validate_start(version.plan, effective_from, exclude_id=version.pk)
            except DomainError as error:
                self.add_error("effective_from", error.detail)
        return data


class TariffVersionInline(admin.TabularInline):
    model = TariffVersion
    form = TariffVersionForm
    fields = ("effective_from", "effective_to_display", "note", "rules_link", "created_by", "created_at")
    readonly_fields = ("effective_to_display", "rules_link", "created_by", "created_at")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-effective_from",)

    def get_queryset(self, request):
        return selectors.versions_with_end(super().get_queryset(request)).select_related("created_by").annotate(
            rule_count=Count("rules"))

    @admin.display(description="in force until")
    def effective_to_display(self, version: TariffVersion) -> str:
        if version.pk is None:
            return "—"
        end = version.effective_to
        return end.isoformat() if end else "open-ended"

    @admin.display(description="rules")
    def rules_link(self, version: TariffVersion):
        if version.pk is None:
            return "—"
        url = reverse("admin:tariffs_feerule_changelist") + f"?version__id__exact={version.pk}"
        return format_html('<a href="{}">{} rule(s)</a>', url, getattr(version, "rule_count", 0))


def _in_force_version():
    today = current_business_date()
    return Subquery(TariffVersion.objects.filter(plan=OuterRef("pk"), effective_from__lte=today)
                    .order_by("-effective_from").values("effective_from")[:1])


@admin.register(TariffPlan)
class TariffPlanAdmin(admin.ModelAdmin):
    form = TariffPlanForm
    list_display = ("code", "name", "is_active", "in_force_from", "version_count", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    ordering = ("code",)
    inlines = (TariffVersionInline,)
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(in_force=_in_force_version(),
                                                      versions_total=Count("versions"))

    def get_readonly_fields(self, request, obj=None):
        # Products name a plan by its code: fixed once created.
        return (*self.readonly_fields, "code") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate a plan instead

    def save_formset(self, request, form, formset, change) -> None:
        for version in formset.save(commit=False):
            if version.pk is None:
                version.created_by = request.user
            version.save()
        formset.save_m2m()

    @admin.display(description="version in force since", ordering="in_force")
    def in_force_from(self, plan: TariffPlan) -> str:
        return plan.in_force.isoformat() if getattr(plan, "in_force", None) else "—"

    @admin.display(description="versions", ordering="versions_total")
    def version_count(self, plan: TariffPlan) -> int:
        return getattr(plan, "versions_total", 0)


class FeeRuleReadInline(NoWritesMixin, admin.TabularInline):
    model = FeeRule
    fields = ("event", "channel", "currency", "fixed_amount", "percentage", "min_fee", "max_fee",
              "free_allowance_count", "allowance_period")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("tariffs.view_feerule") or request.user.has_perm("tariffs.change_feerule")


@admin.register(TariffVersion)
class TariffVersionAdmin(admin.ModelAdmin):
    """A version's page: its rules (read-only here; edit them on the rules page) and its note.
    Versions are added on their plan's page."""

    form = TariffVersionForm
    list_display = ("plan", "effective_from", "effective_to_display", "note", "created_by", "created_at")
    list_filter = ("plan",)
    search_fields = ("plan__code", "note")
    list_select_related = ("plan", "created_by")
    ordering = ("plan__code", "-effective_from")
    fields = ("plan", "effective_from", "effective_to_display", "note", "created_by", "created_at")
    readonly_fields = ("plan", "effective_to_display", "created_by", "created_at")
    inlines = (FeeRuleReadInline,)

    def get_queryset(self, request):
        return selectors.versions_with_end(super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        return False  # on the plan's page

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _started(obj)

    @admin.display(description="in force until")
    def effective_to_display(self, version: TariffVersion) -> str:
        end = version.effective_to
        return end.isoformat() if end else "open-ended"


# --- rules and tiers -----------------------------------------------------------------------


class FeeRuleForm(forms.ModelForm):
    class Meta:
        model = FeeRule
        fields = ("version", "event", "channel", "currency", "fixed_amount", "percentage", "min_fee", "max_fee",
                  "free_allowance_count", "allowance_period", "description")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].queryset = (TariffVersion.objects.select_related("plan")
                                               .filter(effective_from__gt=current_business_date()))
            self.fields["version"].help_text = "Only versions that have not started yet."

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rule = FeeRule(**{name: data.get(name) for name in self.Meta.fields if name != "currency"},
                       currency_id=data["currency"].code if data.get("currency") else None)
        try:
            services.rule_validate(rule, [])
        except DomainError as error:
            field = error.extra.get("field")
            self.add_error(field if field in self.fields else None, error.detail)
        return data


class FeeTierFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.currency_id is None:
            return
        tiers = [FeeTier(from_volume=form.cleaned_data["from_volume"], percentage=form.cleaned_data["percentage"],
                         fixed_amount=form.cleaned_data["fixed_amount"])
                 for form in self.forms
                 if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        try:
            services.rule_validate(FeeRule(**{f: getattr(self.instance, f) for f in services.RULE_FIELDS
                                              if f != "currency"}, currency_id=self.instance.currency_id), tiers)
        except DomainError as error:
            raise forms.ValidationError(error.detail) from error


class FeeTierInline(admin.TabularInline):
    model = FeeTier
    formset = FeeTierFormSet
    fields = ("from_volume", "percentage", "fixed_amount")
    extra = 0
    ordering = ("from_volume",)


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin):
    form = FeeRuleForm
    list_display = ("version", "event", "channel_display", "currency", "fixed_amount", "percentage", "min_fee",
                    "max_fee", "free_allowance_count", "allowance_period")
    list_filter = ("event", "channel", "currency", "allowance_period", "version__plan")
    search_fields = ("version__plan__code", "description")
    list_select_related = ("version__plan", "currency")
    ordering = ("version__plan__code", "-version__effective_from", "event", "channel")
    inlines = (FeeTierInline,)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _started(getattr(obj, "version", None))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _started(getattr(obj, "version", None))

    @admin.display(description="channel", ordering="channel")
    def channel_display(self, rule: FeeRule) -> str:
        return rule.get_channel_display() if rule.channel else "any"


# --- customer overrides --------------------------------------------------------------------


class CustomerTariffForm(forms.ModelForm):
    class Meta:
        model = CustomerTariff
        fields = ("customer", "plan", "valid_from", "valid_to", "note")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        override = CustomerTariff(customer=data["customer"], plan=data["plan"], valid_from=data["valid_from"],
                                  valid_to=data.get("valid_to"))
        try:
            services.customer_tariff_validate(override, exclude_id=self.instance.pk)
        except DomainError as error:
            self.add_error(error.extra.get("field"), error.detail)
        return data


@admin.register(CustomerTariff)
class CustomerTariffAdmin(admin.ModelAdmin):
    form = CustomerTariffForm
    list_display = ("customer", "plan", "valid_from", "valid_to", "created_by", "created_at")
    list_filter = ("plan", "valid_from")
    search_fields = ("=customer__number", "customer__last_name", "customer__legal_name")
    search_help_text = "A customer number (exact), a last name or a legal name."
    list_select_related = ("customer", "plan", "created_by")
    raw_id_fields = ("customer",)
    readonly_fields = ("created_by", "created_at")
    ordering = ("customer", "-valid_from")

    def has_delete_permission(self, request, obj=None) -> bool:
        # An override that has started has priced payments: end it (valid_to) rather than delete it.
        started = obj is not None and obj.valid_from <= current_business_date()
        return super().has_delete_permission(request, obj) and not started

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- usage (read-only) ---------------------------------------------------------------------


class FeeUsageRecordInline(NoWritesMixin, admin.TabularInline):
    model = FeeUsageRecord
    fields = ("payment", "count", "volume", "created_at", "released_at")
    readonly_fields = fields
    extra = 0
    ordering = ("-id",)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("tariffs.view_feeusage")


@admin.register(FeeUsage)
class FeeUsageAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("account", "event", "period", "period_start", "count", "volume", "updated_at")
    list_filter = ("event", "period", "period_start")
    search_fields = ("=account__iban",)
    search_help_text = "An account's IBAN (exact)."
    list_select_related = ("account",)
    ordering = ("-period_start", "account", "event")
    fields = ("account", "event", "period", "period_start", "count", "volume", "updated_at")
    readonly_fields = fields
    inlines = (FeeUsageRecordInline,)
    show_full_result_count = False
    actions = None
