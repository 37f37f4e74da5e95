"""Forms of the reconciliation staff pages; the services validate again (and their refusals
become form errors)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Q

from reconciliation.models import Break, ExternalAccount, Format, SafeguardingCheck
from reconciliation.selectors import AGE_BUCKETS


def break_workers():
    """Active staff who may work breaks (the assignable owners)."""
    perms = Permission.objects.filter(content_type__app_label="reconciliation", codename="change_break")
    return (get_user_model().objects.filter(is_active=True, is_staff=True)
            .filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms) | Q(is_superuser=True))
            .distinct().order_by("username"))


class DateRangeMixin:
    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class UploadForm(forms.Form):
    external_account = forms.ModelChoiceField(queryset=ExternalAccount.objects.filter(is_active=True)
                                              .order_by("name"))
    file = forms.FileField(label="Statement file", help_text="camt.053 (XML), MT940 or CSV; at most one import "
                           "per file: the same file twice is refused.")
    format = forms.ChoiceField(choices=[("", "Detect from the content"), *Format.choices], required=False)


class WorkspaceFilterForm(DateRangeMixin, forms.Form):
    date_from = forms.DateField(required=False, label="Value date from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Value date to", widget=forms.DateInput(attrs={"type": "date"}))
    amount_min = forms.DecimalField(required=False, label="Amount from", max_digits=38, decimal_places=18,
                                    widget=forms.NumberInput(attrs={"step": "any"}))
    amount_max = forms.DecimalField(required=False, label="Amount to", max_digits=38, decimal_places=18,
                                    widget=forms.NumberInput(attrs={"step": "any"}),
                                    help_text="Signed amounts (money in > 0); the same value twice finds one amount.")

    def clean(self):
        data = super().clean()
        if data.get("amount_min") is not None and data.get("amount_max") is not None and (
                data["amount_min"] > data["amount_max"]):
            self.add_error("amount_max", "The upper amount is below the lower one.")
        return data


class IdListField(forms.Field):
    """Several ids under one name (checkboxes rendered by the template)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as error:
            raise ValidationError("Not a valid selection.", code="invalid") from error


class ManualMatchForm(forms.Form):
    line = IdListField(error_messages={"required": "Select at least one statement line."})
    posting = IdListField(required=False)
    note = forms.CharField(required=False, max_length=500, label="Note for the match")


class ConfirmForm(forms.Form):
    match = forms.IntegerField(widget=forms.HiddenInput)


class UnmatchForm(forms.Form):
    match = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, error_messages={"required": "Give the reason for unmatching."})


class BreakFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Outstanding (open, investigating)"), *Break.Status.choices,
                                        ("all", "All")], required=False, label="State")
    root_cause = forms.ChoiceField(choices=[("", "Any root cause"), ("unknown", "Not yet known"),
                                            *((c, label) for c, label in Break.RootCause.choices if c)],
                                   required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone")
    external_account = forms.ModelChoiceField(queryset=ExternalAccount.objects.order_by("name"), required=False,
                                              empty_label="Any account")
    age = forms.ChoiceField(choices=[("", "Any age"), *((code, label) for code, label, *_ in AGE_BUCKETS)],
                            required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = break_workers()


class _OwnIds:
    """Distinct element ids for the several forms of one page (``assign_note``, ``write_off_reason``...)."""

    id_prefix = ""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class BreakAssignForm(_OwnIds, forms.Form):
    id_prefix = "assign"
    owner = forms.ModelChoiceField(queryset=None, empty_label=None)
    root_cause = forms.ChoiceField(choices=Break.RootCause.choices, required=False)
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = break_workers()


class BreakNoteForm(_OwnIds, forms.Form):
    id_prefix = "investigate"
    note = forms.CharField(required=False, max_length=500, label="Note (optional)")


class WriteOffForm(_OwnIds, forms.Form):
    id_prefix = "write_off"
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Why the difference is accepted; recorded in the break's history.")


class ResolveForm(_OwnIds, forms.Form):
    id_prefix = "resolve"
    contra_account = forms.ModelChoiceField(
        queryset=None, label="Contra ledger account",
        help_text="Books the difference between the mirror account and this account (bank charges, suspense...).")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args, brk: Break, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", f"recon-break-{brk.pk}-{uuid.uuid4()}")
        super().__init__(*args, **kwargs)
        from core_banking.ledger.models import LedgerAccount

        account = brk.external_account
        self.fields["contra_account"].queryset = (
            LedgerAccount.objects.filter(currency_id=account.currency_id, is_active=True, is_synthetic=False,
                                         customer_account__isnull=True)
            .exclude(pk=account.ledger_account_id).order_by("code"))
        self.fields["contra_account"].label_from_instance = lambda a: f"{a.code} {a.name} ({a.get_type_display()})"


class SafeguardingFilterForm(DateRangeMixin, forms.Form):
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.ChoiceField(choices=[], required=False)
    outcome = forms.ChoiceField(choices=[("", "Any"), *SafeguardingCheck.Outcome.choices], required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        currencies = SafeguardingCheck.objects.order_by("currency_id").values_list("currency_id", flat=True).distinct()
        self.fields["currency"].choices = [("", "Any currency"), *((c, c) for c in currencies)]
