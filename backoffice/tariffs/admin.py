"""Tariffs in the admin: plans with their versions, rules with their tiers, customer overrides;
usage counters read-only.

The forms refuse what the services refuse (they call the same ``*_validate`` functions), and
prices that may have been charged stay fixed:

* a version that has started (``effective_from`` on or before the current business date) keeps
  its start date and its rules: its rules are read-only here and it cannot be deleted; a new
  version starts no earlier than the current business date (a plan's first may be back-dated);
* rules are added only to versions that have not started;
* plans are deactivated, never deleted (products and payments' fee details name them).

Price changes are maker-checker (``tariff_change`` approval requests, checked up front as the
services would check them; they apply when a checker approves them): changing a plan's name,
description or active flag, adding a version on the plan's page, adding a rule (with its tiers)
to a version that has not started. A new plan is created directly (it charges nothing until a
version of it is approved); the rules and dates of existing versions are read-only here.

Changes are audited through ``AUDIT_TRACKED_MODELS`` (the services add their own events).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from backoffice.approvals import guard
from backoffice.approvals.admin_mixins import (
    REASON_FIELD,
    MakerCheckerAdminMixin,
    add_domain_error,
    reason_field,
)
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import ADMIN
from core_banking.ledger.selectors import business_date_current

from . import selectors, services
from .models import CustomerTariff, FeeRule, FeeTier, FeeUsage, FeeUsageRecord, TariffPlan, TariffVersion


def _started(version: TariffVersion | None) -> bool:
    return version is not None and version.pk is not None and version.effective_from <= business_date_current()


class NoWritesMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _jsonable(value):
    """Form values as an approval payload keeps them (amounts and dates as strings)."""
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return getattr(value, "code", value)  # a currency


PLAN_CHANGES = ("name", "description", "is_active")


def plan_update_spec(user, plan_id: int, data: dict, changed, reason: str):
    changes = {name: data[name] for name in PLAN_CHANGES if name in changed}
    if not changes:
        return None

    def execute():
        return services.plan_update(plan_id=plan_id, actor=user, reason=reason, **changes)
    return {"operation": "plan_update", "plan_id": plan_id, **changes, "reason": reason}, execute


def version_create_spec(user, plan_id: int, data: dict, reason: str):
    def execute():
        return services.version_create(plan_id=plan_id, effective_from=data["effective_from"],
                                       note=data.get("note", ""), actor=user)
    return _jsonable({"operation": "version_create", "plan_id": plan_id, "effective_from": data["effective_from"],
                      "note": data.get("note", ""), "rules": [], "reason": reason}), execute


# --- plans and versions --------------------------------------------------------------------


class TariffPlanForm(forms.ModelForm):
    approval_reason = reason_field(required=False)

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

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # existing versions are read-only here; new rows ask for approval

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
    today = business_date_current()
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

    fields = ("code", "name", "description", "is_active", REASON_FIELD, "created_at", "updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class CheckedPlanForm(form_class):
            """A change of name, description or active flag: the approval request's refusals as
            form errors (the role, a reason, a pending duplicate, the service's own)."""

            def clean(self):
                data = super().clean()
                if self.errors or self.instance.pk is None:
                    return data
                spec = plan_update_spec(request.user, self.instance.pk, data, self.changed_data,
                                        data.get(REASON_FIELD, ""))
                if spec is not None:
                    try:
                        guard.check("tariff_change", spec[0], actor=request.user, credential=ADMIN,
                                    reason=spec[0]["reason"], execute=spec[1])
                    except DomainError as error:
                        add_domain_error(self, error)
                return data

        return CheckedPlanForm

    def _submit(self, request, label: str, spec) -> None:
        payload, execute = spec
        try:
            deferred = guard.submit("tariff_change", payload, actor=request.user, credential=ADMIN,
                                    reason=payload["reason"], execute=execute)
        except DomainError as error:
            self.message_user(request, f"{label}: refused: {error.detail}", messages.ERROR)
        else:
            self.message_user(request, f"{label}: approval request #{deferred.request_id} created; it applies once "
                              "a checker approves it.", messages.SUCCESS)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)  # a new plan charges nothing without a version
            return
        spec = plan_update_spec(request.user, obj.pk, form.cleaned_data, form.changed_data,
                                form.cleaned_data.get(REASON_FIELD, ""))
        if spec is not None:
            self._submit(request, f"Plan {obj.code}", spec)

    def save_formset(self, request, form, formset, change) -> None:
        """New versions become approval requests (``tariff_change``: version_create)."""
        plan = form.instance
        reason = form.cleaned_data.get(REASON_FIELD) or f"new version of plan {plan.code} from the admin"
        for version_form in formset.forms:
            if version_form.instance.pk is not None or not version_form.has_changed():
                continue
            if version_form in formset.deleted_forms:
                continue
            data = version_form.cleaned_data
            self._submit(request, f"Version from {data['effective_from']}",
                         version_create_spec(request.user, plan.pk, data, reason))
        # Nothing was saved here (the admin's change message reads these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def log_change(self, request, obj, message):
        return None  # nothing changed yet: the approval requests have their own history

    def response_change(self, request, obj):
        if "_continue" in request.POST:
            return HttpResponseRedirect(reverse("admin:tariffs_tariffplan_change", args=[obj.pk]))
        return HttpResponseRedirect(reverse("admin:tariffs_tariffplan_changelist"))

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
        return False  # on the plan's page, through an approval request

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a version's start and rules are fixed here; prices change through approvals

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="in force until")
    def effective_to_display(self, version: TariffVersion) -> str:
        end = version.effective_to
        return end.isoformat() if end else "open-ended"


# --- rules and tiers -----------------------------------------------------------------------


FEE_RULE_FIELDS = ("version", "event", "channel", "currency", "fixed_amount", "percentage", "min_fee", "max_fee",
                   "free_allowance_count", "allowance_period", "description")


class FeeRuleForm(forms.ModelForm):
    approval_reason = reason_field()

    class Meta:
        model = FeeRule
        fields = FEE_RULE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].queryset = (TariffVersion.objects.select_related("plan")
                                               .filter(effective_from__gt=business_date_current()))
            self.fields["version"].help_text = "Only versions that have not started yet."

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rule = FeeRule(**{name: data.get(name) for name in FEE_RULE_FIELDS if name != "currency"},
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
class FeeRuleAdmin(MakerCheckerAdminMixin, admin.ModelAdmin):
    """Adding a rule (with its tiers) to a version that has not started asks for approval
    (``tariff_change``: rule_create). Existing rules are read-only."""

    approval_action_type = "tariff_change"
    form = FeeRuleForm
    list_display = ("version", "event", "channel_display", "currency", "fixed_amount", "percentage", "min_fee",
                    "max_fee", "free_allowance_count", "allowance_period")
    list_filter = ("event", "channel", "currency", "allowance_period", "version__plan")
    search_fields = ("version__plan__code", "description")
    list_select_related = ("version__plan", "currency")
    ordering = ("version__plan__code", "-version__effective_from", "event", "channel")
    inlines = (FeeTierInline,)

    def get_fields(self, request, obj=None):
        return (*FEE_RULE_FIELDS, REASON_FIELD) if obj is None else FEE_RULE_FIELDS

    def has_change_permission(self, request, obj=None) -> bool:
        # Only the add form (whose tiers inline needs it); an existing rule is read-only.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def approval_for_save(self, request, form, change: bool, formsets=None):
        if change:
            return None
        data = form.cleaned_data
        fields = {name: data.get(name) for name in FEE_RULE_FIELDS if name != "version"}
        fields["currency"] = getattr(fields["currency"], "code", fields["currency"])
        tiers = []
        for formset in formsets or ():
            for tier_form in formset.forms:
                tier = getattr(tier_form, "cleaned_data", None)
                if tier and not tier.get("DELETE"):
                    tiers.append({k: tier[k] for k in ("from_volume", "percentage", "fixed_amount")})
        version_id = data["version"].pk
        reason = data.get(REASON_FIELD, "")

        def execute():
            return services.rule_create(version_id=version_id, actor=request.user, **fields, tiers=tiers)
        return _jsonable({"operation": "rule_create", "version_id": version_id, "fields": {**fields, "tiers": tiers},
                          "reason": reason}), execute

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
        started = obj is not None and obj.valid_from <= business_date_current()
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
