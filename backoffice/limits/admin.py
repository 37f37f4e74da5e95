"""Limits in the admin: profiles with their rules inline, customer and account rules, and the
usage counters (read-only).

The forms refuse what the services refuse (they call the same ``*_validate`` functions, and
Django checks the database constraints: one scope, one rule per scope and channel). A rule's
scope is fixed once created. Profiles are deactivated, never deleted: products name them by
code, which is fixed too. Usage counters and what each payment added to them are written by
the payment check only.

Limit rules are maker-checker: adding, changing or removing one (on the rules page or in a
profile's inline) creates a ``limit_change`` approval request, checked up front as the services
would check it (form errors, nothing written); the rule changes when a checker approves it.
Profiles themselves (name, description, active) are edited directly.

Changes are audited through ``AUDIT_TRACKED_MODELS`` (the services add their own events).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet

from backoffice.approvals import guard
from backoffice.approvals.admin_mixins import REASON_FIELD, MakerCheckerAdminMixin, reason_field
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import ADMIN
from core_banking.common.money import quantize
from core_banking.common.money_display import format_money

from . import services
from .models import AMOUNT_LIMITS, LIMIT_FIELDS, LimitProfile, LimitRule, LimitUsage, LimitUsageRecord

RULE_FORM_FIELDS = ("channel", "currency", *LIMIT_FIELDS, "note")


class NoWritesMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _amount_display(field: str, *, currency_of=lambda obj: obj.currency_id):
    """A list column showing an amount in its currency's decimal places (not the 18 stored)."""

    @admin.display(description=field.replace("_", " "), ordering=field)
    def display(model_admin, obj) -> str:
        value = getattr(obj, field)
        return format_money(value, currency_of(obj))

    display.__name__ = f"{field}_display"
    return display


def rule_fields(data: dict, names) -> tuple[dict, dict]:
    """Form values of ``names`` as (service keyword arguments, approval payload fields)."""
    python, payload = {}, {}
    for name in names:
        value = data.get(name)
        if name == "currency":
            value = getattr(value, "code", value)
        python[name] = value
        payload[name] = str(value) if name in AMOUNT_LIMITS and value is not None else value
    return python, payload


def _scope_of(data: dict) -> dict:
    scope = {"profile_code": getattr(data.get("profile"), "code", None),
             "customer_id": getattr(data.get("customer"), "pk", None),
             "account_id": getattr(data.get("account"), "pk", None)}
    return {k: v for k, v in scope.items() if v is not None}


def rule_change_spec(user, form, *, scope: dict | None, reason: str):
    """The ``limit_change`` of a rule form (create when the rule is new, else update of what
    changed): (payload, direct call), or None when nothing changed."""
    data = form.cleaned_data
    rule_id = form.instance.pk
    if rule_id is None:
        names = [n for n in RULE_FORM_FIELDS if n in data and (n == "channel" or data.get(n) not in (None, ""))]
        python, fields = rule_fields(data, names)

        def execute():
            return services.rule_create(**scope, actor=user, **python)
        return {"operation": "create", **scope, "fields": fields, "reason": reason}, execute
    names = [n for n in form.changed_data if n in RULE_FORM_FIELDS]
    if not names:
        return None
    python, fields = rule_fields(data, names)

    def execute():
        return services.rule_update(rule_id=rule_id, actor=user, reason=reason, **python)
    return {"operation": "update", "rule_id": rule_id, "fields": fields, "reason": reason}, execute


def rule_delete_spec(user, rule_id: int, reason: str):
    def execute():
        return services.rule_delete(rule_id=rule_id, actor=user, reason=reason)
    return {"operation": "delete", "rule_id": rule_id, "reason": reason}, execute


def _add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.detail)


# --- profiles ------------------------------------------------------------------------------


class LimitProfileForm(forms.ModelForm):
    approval_reason = reason_field(required=False)

    class Meta:
        model = LimitProfile
        fields = ("code", "name", "description", "is_active")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        profile = LimitProfile(code=data.get("code", self.instance.code), name=data.get("name", ""))
        try:
            services.profile_validate(profile)
        except DomainError as error:
            _add_domain_error(self, error)
        else:
            if "code" in data:
                data["code"] = profile.code
        return data


class LimitRuleForm(forms.ModelForm):
    """A rule's limits; the scope comes from the page (a profile's inline) or the scope fields."""

    full_scope = False

    class Meta:
        model = LimitRule
        fields = ("profile", "customer", "account", *RULE_FORM_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:  # amounts in the currency's places, not the 18 stored
            for field in AMOUNT_LIMITS:
                value = getattr(self.instance, field)
                if value is not None and field in self.fields:
                    self.initial[field] = quantize(value, self.instance.currency.exponent)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        instance = self.instance
        rule = LimitRule(
            pk=instance.pk,
            profile_id=getattr(data.get("profile", instance.profile), "pk", None),
            customer_id=getattr(data.get("customer", instance.customer if instance.customer_id else None), "pk",
                                None),
            account_id=getattr(data.get("account", instance.account if instance.account_id else None), "pk", None),
            currency_id=getattr(data.get("currency"), "pk", None),
            **{field: data.get(field) for field in ("channel", *LIMIT_FIELDS)},
        )
        try:
            if self.full_scope:
                services.rule_validate(rule, exclude_id=instance.pk)
            else:  # a new profile's rules: the profile has no id yet, the formset checks channels
                services.rule_validate_limits(rule)
        except DomainError as error:
            _add_domain_error(self, error)
        else:
            for field in ("channel", *LIMIT_FIELDS):
                if field in data:
                    data[field] = getattr(rule, field)
        return data


class ProfileRuleForm(LimitRuleForm):
    class Meta(LimitRuleForm.Meta):
        fields = RULE_FORM_FIELDS


class ProfileRuleFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            channel = form.cleaned_data.get("channel") or ""
            if channel in seen:
                raise forms.ValidationError(f"Two rules for {channel or 'every channel'}: one rule per channel.")
            seen.add(channel)


class ProfileRuleInline(admin.TabularInline):
    model = LimitRule
    form = ProfileRuleForm
    formset = ProfileRuleFormSet
    fk_name = "profile"
    fields = RULE_FORM_FIELDS
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.full_scope = obj is not None  # an existing profile: check duplicates against the database
        return formset


@admin.register(LimitProfile)
class LimitProfileAdmin(admin.ModelAdmin):
    form = LimitProfileForm
    list_display = ("code", "name", "is_active", "rule_count", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    ordering = ("code",)
    inlines = (ProfileRuleInline,)
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(rules_total=Count("rules"))

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "code") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate a profile instead; products name it

    fields = ("code", "name", "description", "is_active", REASON_FIELD, "created_at", "updated_at")

    def save_formset(self, request, form, formset, change) -> None:
        """The rules' changes become approval requests (``limit_change``), one per rule."""
        profile = form.instance
        reason = form.cleaned_data.get(REASON_FIELD) or f"rules of profile {profile.code} edited in the admin"
        deleted = set(formset.deleted_forms)
        for rule_form in formset.forms:
            if rule_form in deleted:
                if rule_form.instance.pk is None:
                    continue
                payload, execute = rule_delete_spec(request.user, rule_form.instance.pk, reason)
            elif not rule_form.has_changed():
                continue
            else:
                spec = rule_change_spec(request.user, rule_form, scope={"profile_code": profile.code}, reason=reason)
                if spec is None:
                    continue
                payload, execute = spec
            label = rule_form.cleaned_data.get("channel") or "every channel"
            try:
                deferred = guard.submit("limit_change", payload, actor=request.user, credential=ADMIN, reason=reason,
                                        execute=execute)
            except DomainError as error:
                self.message_user(request, f"Rule for {label}: refused: {error.detail}", messages.ERROR)
            else:
                self.message_user(request, f"Rule for {label}: approval request #{deferred.request_id} created; "
                                  "it applies once a checker approves it.", messages.SUCCESS)
        # Nothing was saved here (the admin's change message reads these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.display(description="rules", ordering="rules_total")
    def rule_count(self, profile: LimitProfile) -> int:
        return getattr(profile, "rules_total", 0)


# --- rules ---------------------------------------------------------------------------------


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("profile", "Profile"), ("customer", "Customer"), ("account", "Account")]

    def queryset(self, request, queryset):
        if self.value() in ("profile", "customer", "account"):
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


class StandaloneRuleForm(LimitRuleForm):
    full_scope = True
    approval_reason = reason_field()


@admin.register(LimitRule)
class LimitRuleAdmin(MakerCheckerAdminMixin, admin.ModelAdmin):
    """Every rule; customer and account rules are added here (a profile's on the profile's page).
    Adding, changing and removing ask for approval (``limit_change``)."""

    approval_action_type = "limit_change"
    form = StandaloneRuleForm
    max_single_amount_display = _amount_display("max_single_amount")
    daily_amount_display = _amount_display("daily_amount")
    monthly_amount_display = _amount_display("monthly_amount")
    list_display = ("id", "scope_display", "channel_display", "currency", "max_single_amount_display",
                    "daily_amount_display", "daily_count", "monthly_amount_display", "monthly_count", "updated_at")
    list_filter = (ScopeFilter, "channel", "currency", "profile")
    search_fields = ("=profile__code", "=customer__number", "=account__iban", "=account__number")
    list_select_related = ("profile", "customer", "account", "currency")
    raw_id_fields = ("customer", "account")
    ordering = ("-id",)
    readonly_fields = ("created_by", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        scope = ("profile", "customer", "account")
        return (*scope, *RULE_FORM_FIELDS, REASON_FIELD, "created_by", "created_at", "updated_at")

    def approval_for_save(self, request, form, change: bool, formsets=None):
        scope = None if change else _scope_of(form.cleaned_data)
        return rule_change_spec(request.user, form, scope=scope, reason=form.cleaned_data.get(REASON_FIELD, ""))

    def approval_for_delete(self, request, obj):
        return rule_delete_spec(request.user, obj.pk, self.approval_delete_reason)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # the scope is fixed
            return (*self.readonly_fields, "profile", "customer", "account")
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "profile" in form.base_fields:
            form.base_fields["profile"].help_text = "Exactly one of profile, customer or account."
        return form

    @admin.display(description="scope")
    def scope_display(self, rule: LimitRule) -> str:
        return rule.scope_label

    @admin.display(description="channel", ordering="channel")
    def channel_display(self, rule: LimitRule) -> str:
        return rule.get_channel_display() if rule.channel else "every channel"


# --- usage (read-only) ---------------------------------------------------------------------


@admin.register(LimitUsage)
class LimitUsageAdmin(NoWritesMixin, admin.ModelAdmin):
    amount_display = _amount_display("amount")
    list_display = ("scope_kind", "scope_id", "channel_display", "period", "period_start", "currency",
                    "amount_display", "count", "updated_at")
    list_select_related = ("currency",)
    list_filter = ("scope_kind", "period", "channel", "currency")
    search_fields = ("=scope_id",)
    date_hierarchy = "period_start"
    ordering = ("-period_start", "scope_kind", "scope_id")
    show_full_result_count = False
    actions = None

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isascii() and term.isdigit() and len(term) < 19:
            return queryset.filter(scope_id=int(term)), False
        return queryset.none(), False

    @admin.display(description="channel", ordering="channel")
    def channel_display(self, usage: LimitUsage) -> str:
        return usage.channel or "every channel"


@admin.register(LimitUsageRecord)
class LimitUsageRecordAdmin(NoWritesMixin, admin.ModelAdmin):
    amount_display = _amount_display("amount", currency_of=lambda record: record.usage.currency_id)
    list_display = ("payment", "usage", "amount_display", "count", "created_at", "released_at")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("=payment__reference",)
    list_select_related = ("payment", "usage", "usage__currency")
    ordering = ("-id",)
    show_full_result_count = False
    actions = None
