"""Forms of the compliance staff pages; the services validate again (and their refusals become
form errors)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from compliance.cases.models import Alert, Case
from compliance.cases.selectors import AGE_BUCKETS, CASE_ORDERINGS


def case_workers():
    """Active staff who may work compliance cases (the assignable people)."""
    perms = Permission.objects.filter(content_type__app_label="compliance_cases",
                                      codename__in=["work_case", "manage_case"])
    return (get_user_model().objects.filter(is_active=True, is_staff=True)
            .filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms) | Q(is_superuser=True))
            .distinct().order_by("username"))


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Open (any)"), *Case.Status.choices, ("all", "All")], required=False)
    mine = forms.BooleanField(required=False, label="Only mine")
    unassigned = forms.BooleanField(required=False, label="Only unassigned")
    assignee = forms.ModelChoiceField(queryset=None, required=False)
    min_score = forms.IntegerField(required=False, min_value=0, max_value=100, label="Minimum score")
    age = forms.ChoiceField(choices=[("", "Any age"), *((code, label) for code, label, *_ in AGE_BUCKETS)],
                            required=False)
    source = forms.ChoiceField(choices=[("", "Any source"), *Alert.Source.choices], required=False,
                               label="Alert source")
    ordering = forms.ChoiceField(choices=[(key, key) for key in CASE_ORDERINGS], required=False, initial="age")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = case_workers()


class TransitionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Required to close.")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody (unassign)")
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = case_workers()


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, label="Note")


class DecideForm(forms.Form):
    alert = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("clear", "Clear (false positive)"), ("confirm", "Confirm")])
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000,
                           help_text="Why. Clearing releases a payment held for review; confirming rejects it.")


class AttachmentForm(forms.Form):
    file = forms.FileField(help_text="PDF, PNG, JPEG, TXT or CSV, at most 20 MB.")
    description = forms.CharField(required=False, max_length=500)


class ReportForm(forms.Form):
    narrative = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=50000,
                                help_text="Why the activity is suspicious. Filing marks the case reported.")
