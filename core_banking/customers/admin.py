"""Customers in the admin: onboarding and upkeep through the services, KYC left to its workflow.

* Saving a customer (with its addresses, tax residencies and related parties) calls
  ``services.customer_create`` or ``services.customer_update``, so the admin obeys the same rules
  and writes the same audit events as the API. The forms run the services' checks first, so a
  refusal shows as a form error next to what caused it.
* ``kyc_status`` (and the approval time and next review date) are read-only: the KYC review
  workflow changes them (``services.customer_set_kyc_status``). The risk rating and the type are
  set at onboarding; afterwards the KYC review owns the rating.
* The status changes through the list's actions (``services.customer_set_status``); a customer
  is closed only once its accounts are. A closed customer is read-only; nobody deletes one.
"""

from __future__ import annotations

import copy
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect

from core_banking.common import admin_activity as activity
from core_banking.common.errors import DomainError

from . import exceptions as exc
from . import pii, services
from .models import Address, Customer, RelatedParty, TaxResidency

_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
VIEW, ADD, CHANGE = "customers.view_customer", "customers.add_customer", "customers.change_customer"
ADMIN_REASON = "changed in the admin"


def _masked(fields, masks: dict[str, str]):
    """``fields`` (possibly grouped in tuples) with the personal ones swapped for their masked display."""
    return tuple(_masked(name, masks) if isinstance(name, (tuple, list)) else masks.get(name, name)
                 for name in fields)


class PiiMaskMixin:
    """Personal data shown masked to a user who may not see it (``pii.may_see_pii``): the field is
    swapped for a read-only ``masked_<field>`` display. Such a user cannot change a customer, so
    the page they see is read-only anyway."""

    pii_masks: dict[str, str] = {}

    def _masks_for(self, request) -> dict[str, str]:
        return {} if pii.may_see_pii(request.user) else self.pii_masks

    def get_fields(self, request, obj=None):
        return _masked(super().get_fields(request, obj), self._masks_for(request))

    def get_readonly_fields(self, request, obj=None):
        masks = self._masks_for(request)
        return (*super().get_readonly_fields(request, obj), *masks.values())

    def masked_str(self, obj) -> str:
        """What a row is called (an inline row's heading) when its personal data is masked."""
        return ""


class _Masked:
    """A row as an inline shows it above its fields (``str``), the rest passed through."""

    def __init__(self, obj, text: str) -> None:
        self._obj, self._text = obj, text

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._text


class MaskedInlineAdminFormSet(helpers.InlineAdminFormSet):
    """An inline whose rows are headed by ``masked_str``: the models' ``str`` shows the address
    line or the tax id."""

    def __iter__(self):
        for inline_admin_form in super().__iter__():
            if inline_admin_form.original is not None:
                inline_admin_form.original = _Masked(inline_admin_form.original,
                                                     self.opts.masked_str(inline_admin_form.original))
            yield inline_admin_form


def _field_of(error: DomainError, names) -> str | None:
    """The form field a service refusal names (``field="addresses.country"`` -> ``country``)."""
    field = (error.extra.get("field") or "").rsplit(".", 1)[-1]
    return field if field in names else None


# --- the customer form ---------------------------------------------------------------------


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ("type", "risk_rating", *services.PERSON_FIELDS, *services.BUSINESS_FIELDS, "email", "phone")

    def clean(self):
        # The checks of services._validate (names by type, date of birth, country codes), as form errors.
        data = super().clean()
        candidate = copy.copy(self.instance)
        for name, value in data.items():
            setattr(candidate, name, value)
        try:
            services._validate(candidate)
        except exc.InvalidCustomer as error:
            self.add_error(_field_of(error, self.fields), error.detail)
            return data
        for name in ("nationality", "incorporation_country"):
            if name in data:
                data[name] = getattr(candidate, name)  # normalized: upper case
        return data


# --- inlines: the customer's parts, edited with the customer's permissions ------------------


class CustomerPartInline:
    extra = 0

    def _can_edit(self, request, obj) -> bool:
        if obj is None:
            return request.user.has_perm(ADD)
        return obj.status != Customer.Status.CLOSED and request.user.has_perm(CHANGE)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW) or self._can_edit(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._can_edit(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._can_edit(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._can_edit(request, obj)


def _live_forms(formset):
    """The forms that will be saved: filled in and not marked for deletion."""
    return [form for form in formset.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")]


def _normalize_country(form, name: str, label: str) -> None:
    value = form.cleaned_data.get(name)
    if value is None:
        return
    try:
        form.cleaned_data[name] = services.country_check(value, field=label)
    except exc.InvalidCustomer as error:
        form.add_error(name, error.detail)


class AddressFormSet(forms.BaseInlineFormSet):
    def clean(self):
        for form in _live_forms(self):
            _normalize_country(form, "country", "country")
        super().clean()  # then the one-address-per-kind check over the normalized rows


class TaxResidencyFormSet(forms.BaseInlineFormSet):
    def clean(self):
        for form in _live_forms(self):
            _normalize_country(form, "country", "country")
        super().clean()  # then the one-residency-per-country check over the normalized rows


class RelatedPartyFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        forms_ = _live_forms(self)
        if forms_ and self.instance.type != Customer.Type.BUSINESS:
            raise forms.ValidationError("Only a business customer has related parties.")
        owned = 0
        for form in forms_:
            data = form.cleaned_data
            for name in ("nationality", "country_of_residence"):
                _normalize_country(form, name, name)
            share = data.get("ownership_percent")
            if data.get("role") == RelatedParty.Role.BENEFICIAL_OWNER:
                if share is None or not (0 < share <= 100):
                    form.add_error("ownership_percent", "A beneficial owner holds above 0 and at most 100%.")
                    continue
                owned += share
            elif share is not None and not (0 < share <= 100):
                form.add_error("ownership_percent", "An ownership share is above 0 and at most 100%.")
            person = data.get("person")
            if person is not None and person.type != Customer.Type.PERSON:
                form.add_error("person", "A related party links to a person customer.")
        if owned > 100:
            raise forms.ValidationError(f"The beneficial owners hold {owned}% together, more than 100%.")


class AddressInline(PiiMaskMixin, CustomerPartInline, admin.TabularInline):
    model = Address
    formset = AddressFormSet
    fields = ("kind", "line1", "line2", "postal_code", "city", "region", "country")
    pii_masks = {"line1": "masked_line1", "line2": "masked_line2", "postal_code": "masked_postal_code"}

    @admin.display(description="line 1")
    def masked_line1(self, obj) -> str:
        return pii.mask_text(obj.line1)

    @admin.display(description="line 2")
    def masked_line2(self, obj) -> str:
        return pii.mask_text(obj.line2)

    @admin.display(description="postal code")
    def masked_postal_code(self, obj) -> str:
        return pii.mask_text(obj.postal_code)

    def masked_str(self, obj) -> str:
        return f"{obj.get_kind_display()}: {obj.city}, {obj.country}"


class TaxResidencyInline(PiiMaskMixin, CustomerPartInline, admin.TabularInline):
    model = TaxResidency
    formset = TaxResidencyFormSet
    fields = ("country", "tax_id")
    pii_masks = {"tax_id": "masked_tax_id"}

    @admin.display(description="tax id")
    def masked_tax_id(self, obj) -> str:
        return pii.mask_id(obj.tax_id)

    def masked_str(self, obj) -> str:
        return f"{obj.country} {pii.mask_id(obj.tax_id)}".strip()


class RelatedPartyInline(PiiMaskMixin, CustomerPartInline, admin.StackedInline):
    model = RelatedParty
    fk_name = "business"
    formset = RelatedPartyFormSet
    fields = (("role", "ownership_percent"), ("first_name", "last_name", "date_of_birth"),
              ("nationality", "country_of_residence"), "person")
    raw_id_fields = ("person",)
    pii_masks = {"date_of_birth": "masked_date_of_birth"}

    @admin.display(description="date of birth")
    def masked_date_of_birth(self, obj) -> str:
        return pii.mask_date(obj.date_of_birth) or "-"


PARTS = {
    Address: ("addresses", ("kind", "line1", "line2", "postal_code", "city", "region", "country")),
    TaxResidency: ("tax_residencies", ("country", "tax_id")),
    RelatedParty: ("related_parties", ("role", "person", "first_name", "last_name", "date_of_birth", "nationality",
                                       "country_of_residence", "ownership_percent")),
}


# --- the customer admin --------------------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    list_display = ("number", "display_name", "type", "status", "kyc_status", "risk_rating", "email", "created_at")
    list_filter = ("type", "status", "kyc_status", "risk_rating")
    search_fields = ("=number", "=accounts__iban", "^first_name", "^last_name", "^legal_name", "=email", "=phone")
    search_help_text = ("A customer number, an account's IBAN, the start of a first, last or legal name, an exact "
                        "e-mail or phone.")
    ordering = ("-id",)
    show_full_result_count = False
    inlines = (AddressInline, TaxResidencyInline, RelatedPartyInline)
    actions = ("activate_customers", "suspend_customers", "close_customers")
    kyc_fields = ("kyc_status", "kyc_approved_at", "next_review_date")
    record_fields = ("created_at", "updated_at", "created_by")
    pii_masks = {"email": "masked_email", "phone": "masked_phone", "date_of_birth": "masked_date_of_birth"}

    # --- personal data, masked for a user who may not see it (pii.may_see_pii) ---

    def _masks_for(self, request) -> dict[str, str]:
        return {} if pii.may_see_pii(request.user) else self.pii_masks

    def get_list_display(self, request):
        return _masked(super().get_list_display(request), self._masks_for(request))

    def get_search_results(self, request, queryset, search_term):
        compact = search_term.replace(" ", "").upper()
        if _IBAN.match(compact):  # typed with its spaces, as printed: NL91 CBNK 0417 1643 00
            return queryset.filter(accounts__iban=compact).distinct(), True
        return super().get_search_results(request, queryset, search_term)

    def get_search_fields(self, request):
        # Finding a customer by an exact e-mail or phone would confirm what the mask hides.
        fields = super().get_search_fields(request)
        if self._masks_for(request):
            fields = tuple(name for name in fields if name not in ("=email", "=phone"))
        return fields

    @admin.display(description="email")
    def masked_email(self, obj) -> str:
        return pii.mask_email(obj.email)

    @admin.display(description="phone")
    def masked_phone(self, obj) -> str:
        return pii.mask_phone(obj.phone)

    @admin.display(description="date of birth")
    def masked_date_of_birth(self, obj) -> str:
        return pii.mask_date(obj.date_of_birth) or "-"

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        if self._masks_for(request):
            for inline_formset in inline_formsets:
                if isinstance(inline_formset.opts, PiiMaskMixin) and inline_formset.opts.pii_masks:
                    inline_formset.__class__ = MaskedInlineAdminFormSet
        return inline_formsets

    def get_fieldsets(self, request, obj=None):
        head = ("type", "risk_rating") if obj is None else ("number", "type", "status", "risk_rating")
        fieldsets = [
            (None, {"fields": head}),
            ("Person", {"fields": services.PERSON_FIELDS}),
            ("Business", {"fields": services.BUSINESS_FIELDS}),
            ("Contact", {"fields": ("email", "phone")}),
        ]
        if obj is not None:
            # A person has no business section, a business no person section.
            other = "Business" if obj.type == Customer.Type.PERSON else "Person"
            fieldsets = [fieldset for fieldset in fieldsets if fieldset[0] != other]
            fieldsets.insert(1, ("Accounts and activity", {"fields": activity.CUSTOMER_FIELDS}))
            fieldsets.insert(2, ("KYC (set by the KYC review)", {"fields": self.kyc_fields}))
            fieldsets.append(("Record", {"fields": self.record_fields}))
            masks = self._masks_for(request)
            fieldsets = [(title, {**spec, "fields": _masked(spec["fields"], masks)}) for title, spec in fieldsets]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("number", "type", "status", "risk_rating", *self.kyc_fields, *self.record_fields,
                *activity.CUSTOMER_FIELDS, *self._masks_for(request).values())

    # --- what a person opening the customer needs: accounts, recent payments, open tickets ---

    @admin.display(description="accounts")
    def accounts_overview(self, customer: Customer):
        return activity.customer_accounts(customer)

    @admin.display(description="recent payments")
    def recent_payments(self, customer: Customer):
        return activity.customer_payments(customer)

    @admin.display(description="open tickets")
    def open_tickets(self, customer: Customer):
        return activity.customer_tickets(customer)

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is not None and obj.type == Customer.Type.PERSON:
            inlines = [inline for inline in inlines if not isinstance(inline, RelatedPartyInline)]
        return inlines

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status == Customer.Status.CLOSED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # close a customer instead; accounts and the audit trail refer to it

    # --- saving through the services ---

    def save_model(self, request, obj, form, change) -> None:
        pass  # the customer is saved with its parts, in save_related, by one service call

    def save_related(self, request, form, formsets, change) -> None:
        parts = {}
        for formset in formsets:
            name, fields = PARTS[formset.model]
            parts[name] = [{field: form_.cleaned_data.get(field) for field in fields if field in form_.cleaned_data}
                           for form_ in _live_forms(formset)]
            # What construct_change_message reads from a saved formset.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in services.EDITABLE_FIELDS if name in data}
            saved = services.customer_update(customer_id=form.instance.pk, actor=request.user, **fields, **parts)
        else:
            fields = {name: data[name] for name in (*services.EDITABLE_FIELDS, "risk_rating") if name in data}
            saved = services.customer_create(type=data["type"], actor=request.user, **fields, **parts)
        # The admin goes on with the form's instance (log entry, redirect): make it the saved row.
        obj = form.instance
        obj.__dict__.update({key: value for key, value in saved.__dict__.items() if key != "_state"})
        obj._state.adding = False
        obj._state.db = saved._state.db

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The forms run the services' checks; a refusal they could not foresee (a concurrent
        # change) rolls the whole save back and is shown instead of a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, f"Not saved: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- status actions ---

    def _set_status(self, request, queryset, status: str) -> None:
        changed = 0
        for customer in queryset:
            try:
                services.customer_set_status(customer_id=customer.pk, status=status, actor=request.user,
                                             reason=ADMIN_REASON)
            except DomainError as error:
                self.message_user(request, f"{customer.number}: {error.detail}", messages.ERROR)
                continue
            changed += 1
        if changed:
            self.message_user(request, f"{changed} customer(s) now {status}.", messages.SUCCESS)

    @admin.action(description="Activate selected customers", permissions=["change"])
    def activate_customers(self, request, queryset):
        self._set_status(request, queryset, Customer.Status.ACTIVE)

    @admin.action(description="Suspend selected customers", permissions=["change"])
    def suspend_customers(self, request, queryset):
        self._set_status(request, queryset, Customer.Status.SUSPENDED)

    @admin.action(description="Close selected customers (their accounts must be closed)", permissions=["change"])
    def close_customers(self, request, queryset):
        self._set_status(request, queryset, Customer.Status.CLOSED)

