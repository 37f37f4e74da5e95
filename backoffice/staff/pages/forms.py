"""Forms of the staff pages (issue 9). Bad input is a form error shown next to its field, never
a 500; the services validate again and their refusals become form errors too."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms

from backoffice.kyc.models import KycDocument, RejectionReason
from backoffice.tickets.models import Category, Priority
from core_banking.customers.selectors import NAME_SEARCH_MIN
from core_banking.payments.models import Payment

IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$")
MAX_RANGE_DAYS = 366


def compact_iban(value: str) -> str:
    return (value or "").replace(" ", "").upper()


class DateInput(forms.DateInput):
    input_type = "date"


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, strip=True,
                        help_text="Name, e-mail, phone, IBAN, customer, account or ticket number, payment or "
                                  "case reference, ledger entry (#id), amount (12.50), date (2026-12-01).")

    def clean_q(self) -> str:
        value = self.cleaned_data["q"]
        if len(value.replace(" ", "")) < NAME_SEARCH_MIN and not value.strip().lstrip("#").isdigit():
            raise forms.ValidationError(f"Type at least {NAME_SEARCH_MIN} characters.")
        return value


class TransactionFilterForm(forms.Form):
    reference = forms.CharField(required=False, max_length=64, label="Reference or end-to-end id")
    iban = forms.CharField(required=False, max_length=42, label="IBAN (ours or the counterparty's)")
    customer = forms.CharField(required=False, max_length=16, label="Customer number")
    amount_min = forms.DecimalField(required=False, min_value=Decimal("0"), max_digits=38, decimal_places=18,
                                    label="Amount from", widget=forms.NumberInput(attrs={"step": "any"}))
    amount_max = forms.DecimalField(required=False, min_value=Decimal("0"), max_digits=38, decimal_places=18,
                                    label="Amount to", widget=forms.NumberInput(attrs={"step": "any"}))
    date_from = forms.DateField(required=False, label="Business date from", widget=DateInput)
    date_to = forms.DateField(required=False, label="Business date to", widget=DateInput)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Payment.Status.choices])

    def clean_iban(self) -> str:
        iban = compact_iban(self.cleaned_data.get("iban", ""))
        if iban and not IBAN_RE.match(iban):
            raise forms.ValidationError("This is not an IBAN (two letters, two check digits, then the account).")
        return iban

    def clean_customer(self) -> str:
        return (self.cleaned_data.get("customer") or "").strip().upper()

    def clean(self):
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "The upper amount is below the lower one.")
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", "The end date is before the start date.")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("date_to", f"Look at most {MAX_RANGE_DAYS} days at a time.")
        return data


class TicketOpenForm(forms.Form):
    category = forms.ModelChoiceField(queryset=None, to_field_name="code", empty_label=None)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="About the account")

    def __init__(self, *args, accounts=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by("name")
        self.fields["account"].choices = [("", "No particular account"), *((a.pk, a.iban) for a in accounts)]
        self.fields["description"].help_text = "What the customer asks; a customer reply or note comes later."


class FreezeRequestForm(forms.Form):
    account = forms.TypedChoiceField(coerce=int, label="Account to freeze")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Why. A second person approves before the account is frozen.")

    def __init__(self, *args, accounts=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, f"{a.iban} ({a.get_status_display()})") for a in accounts]


class DocumentRequestForm(forms.Form):
    document_type = forms.ChoiceField(choices=KycDocument.Type.choices, label="Document")
    note = forms.CharField(required=False, max_length=400, label="Note to the customer",
                           widget=forms.Textarea(attrs={"rows": 2}))


class KycActionForm(forms.Form):
    action = forms.CharField(max_length=32, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Required to request information or reject.")
    reason_code = forms.ChoiceField(required=False, choices=[("", "—"), *RejectionReason.choices],
                                    label="Rejection reason")


class ApprovalActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("approve", "reject", "cancel", "retry")],
                               widget=forms.HiddenInput)
    comment = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                              label="Comment or reason", help_text="Required to reject.")


class TicketMessageForm(forms.Form):
    body = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 4}), label="Message")
    visibility = forms.ChoiceField(choices=[("customer_reply", "Reply to the customer"),
                                            ("internal_note", "Internal note (staff only)")],
                                   initial="customer_reply", widget=forms.RadioSelect, label="Send as")

    def __init__(self, *args, may_note: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not may_note:
            self.fields["visibility"].choices = [("customer_reply", "Reply to the customer")]


class TicketActionForm(forms.Form):
    action = forms.CharField(max_length=32, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             label="Reason", help_text="Required to reopen, or to close a ticket not resolved.")


class TicketAssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Assign to")

    def __init__(self, *args, agents=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody (the team's queue)"),
                                           *((a.pk, a.get_full_name() or a.get_username()) for a in agents)]


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(choices=[(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days")],
                                  coerce=int, required=False, initial=30, label="Period")


def parse_amount(token: str) -> Decimal | None:
    """``12.50`` or ``12,50`` as a Decimal (a search token), else None."""
    if not re.fullmatch(r"\d{1,15}([.,]\d{1,6})?", token):
        return None
    try:
        return Decimal(token.replace(",", "."))
    except InvalidOperation:
        return None


def parse_date(token: str) -> dt.date | None | bool:
    """A ``YYYY-MM-DD`` token as a date; False when it has the shape but is no real date."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
        return None
    try:
        return dt.date.fromisoformat(token)
    except ValueError:
        return False
