"""Serializers of the loans API. Amounts are JSON strings (the ledger's ``AmountField``); outputs
carry as many decimals as the loan's currency. Choice fields document their values inline, so
that this app's ``status`` or ``kind`` never collides with another app's enum of the same name."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core_banking.common.api.strict import DecimalStringField, StrictInputSerializer
from core_banking.interest.daycount import Convention
from core_banking.ledger.api.serializers import MAX_ID, AmountField, CurrencyCodeField
from core_banking.loans.models import Instalment, Loan, Repayment
from core_banking.loans.schedule import COMPONENTS, Method, RepaymentFrequency

RATE_FIELD = {"max_digits": 9, "decimal_places": 8, "coerce_to_string": True}


class InlineChoiceField(serializers.ChoiceField):
    """A choice field whose values the schema lists inline (no shared enum component)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        extend_schema_field({"type": "string", "enum": [str(v) for v in self.choices]})(self)


class InlineEnumField(serializers.CharField):
    """An output string whose values (``values``) the schema lists inline (no shared enum component)."""

    def __init__(self, *, values, **kwargs) -> None:
        super().__init__(**kwargs)
        extend_schema_field({"type": "string", "enum": [str(v) for v in values]})(self)


def _choices(values, *, output: bool = False, **kwargs):
    """A choice field (or, for outputs, a string) whose values the schema lists inline."""
    values = [str(v) for v in values]
    return InlineEnumField(values=values, **kwargs) if output else InlineChoiceField(choices=values, **kwargs)


def _id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class RateField(DecimalStringField):
    """An annual rate as a plain decimal JSON string fraction: "0.12" is 12 %."""

    default_error_messages = {"not_a_string": 'Send the rate as a JSON string, e.g. "0.12".'}

    def __init__(self, **kwargs) -> None:
        super().__init__(**{**RATE_FIELD, **kwargs})


# --- products --------------------------------------------------------------------------------


class LoanProductInputSerializer(StrictInputSerializer):
    code = serializers.RegexField(r"^[A-Z0-9][A-Z0-9_-]*$", max_length=32)
    name = serializers.CharField(max_length=200)
    currency = CurrencyCodeField()
    account_product = _id(help_text="The accounts product (kind loan) the loans' own accounts are opened from.")
    amortisation = _choices([m.value for m in Method])
    rate_default = RateField()
    rate_min = RateField()
    rate_max = RateField()
    convention = _choices([c.value for c in Convention], default=Convention.THIRTY_360_ISDA.value)
    frequency = _choices([f.value for f in RepaymentFrequency], default=RepaymentFrequency.MONTHLY.value)
    term_min = serializers.IntegerField(min_value=1, max_value=1200)
    term_max = serializers.IntegerField(min_value=1, max_value=1200)
    amount_min = AmountField()
    amount_max = AmountField()
    instalment_fee = AmountField(required=False, default="0")
    allocation_order = serializers.ListField(child=_choices(list(COMPONENTS)), min_length=4, max_length=4,
                                             required=False, help_text="A permutation of the four components.")
    grace_days = serializers.IntegerField(min_value=0, max_value=365, default=0)
    late_fee = AmountField(required=False, default="0")
    bucket_boundaries = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=10000),
                                              min_length=1, max_length=12, required=False,
                                              help_text="Ascending upper bounds in days past due, e.g. [30, 60, 90].")
    is_active = serializers.BooleanField(default=True)


class LoanProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField(source="currency_id")
    account_product = serializers.IntegerField(source="account_product_id")
    amortisation = _choices([m.value for m in Method], output=True)
    rate_default = serializers.DecimalField(**RATE_FIELD)
    rate_min = serializers.DecimalField(**RATE_FIELD)
    rate_max = serializers.DecimalField(**RATE_FIELD)
    convention = _choices([c.value for c in Convention], output=True)
    frequency = _choices([f.value for f in RepaymentFrequency], output=True)
    term_min = serializers.IntegerField()
    term_max = serializers.IntegerField()
    amount_min = AmountField(exponent_source="currency.exponent")
    amount_max = AmountField(exponent_source="currency.exponent")
    instalment_fee = AmountField(exponent_source="currency.exponent")
    allocation_order = serializers.ListField(child=serializers.CharField())
    grace_days = serializers.IntegerField()
    late_fee = AmountField(exponent_source="currency.exponent")
    bucket_boundaries = serializers.ListField(child=serializers.IntegerField())
    is_active = serializers.BooleanField()


class LoanProductFilterSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    currency = CurrencyCodeField(required=False)


# --- loans -----------------------------------------------------------------------------------


class LoanApplyInputSerializer(StrictInputSerializer):
    customer = _id()
    product = _id()
    account = _id(help_text="The customer's account the loan is paid into and repaid from.")
    principal = AmountField(help_text='Positive, as a string, e.g. "10000.00".')
    term = serializers.IntegerField(min_value=1, max_value=1200, help_text="Number of instalments.")
    rate = RateField(required=False, allow_null=True, default=None, help_text="Default: the product's.")
    start_date = serializers.DateField(required=False, allow_null=True, default=None,
                                       help_text="Planned disbursement date; default today.")
    first_due_date = serializers.DateField(required=False, allow_null=True, default=None,
                                           help_text="Default: one repayment period after the start.")


class LoanReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LoanRequiredReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)


class LoanFilterSerializer(serializers.Serializer):
    customer = _id(required=False)
    status = _choices(Loan.Status.values, required=False)
    product = _id(required=False)
    account = _id(required=False)
    bucket = serializers.CharField(required=False, max_length=16, help_text='e.g. "current", "1-30", "90+".')


class LoanInstalmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    period_start = serializers.DateField()
    due_date = serializers.DateField()
    principal_due = AmountField(exponent_source="loan.currency.exponent")
    interest_due = AmountField(exponent_source="loan.currency.exponent")
    fees_due = AmountField(exponent_source="loan.currency.exponent")
    penalties_due = AmountField(exponent_source="loan.currency.exponent")
    principal_paid = AmountField(exponent_source="loan.currency.exponent")
    interest_paid = AmountField(exponent_source="loan.currency.exponent")
    fees_paid = AmountField(exponent_source="loan.currency.exponent")
    penalties_paid = AmountField(exponent_source="loan.currency.exponent")
    total_due = AmountField(exponent_source="loan.currency.exponent")
    status = _choices(Instalment.Status.values, output=True)
    paid_on = serializers.DateField(allow_null=True)


class LoanStatusChangeSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    at = serializers.DateTimeField()


class LoanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    product = serializers.CharField(source="product.code")
    currency = serializers.CharField(source="currency_id")
    account = serializers.IntegerField(source="account_id")
    account_iban = serializers.CharField(source="account.iban")
    loan_account = serializers.IntegerField(source="loan_account_id", allow_null=True)
    loan_account_iban = serializers.CharField(source="loan_account.iban", default=None, allow_null=True)
    principal = AmountField(exponent_source="currency.exponent")
    rate = serializers.DecimalField(**RATE_FIELD)
    term = serializers.IntegerField()
    amortisation = _choices([m.value for m in Method], output=True)
    convention = _choices([c.value for c in Convention], output=True)
    frequency = _choices([f.value for f in RepaymentFrequency], output=True)
    start_date = serializers.DateField()
    first_due_date = serializers.DateField()
    status = _choices(Loan.Status.values, output=True)
    status_reason = serializers.CharField()
    principal_outstanding = AmountField(exponent_source="currency.exponent")
    days_past_due = serializers.IntegerField()
    delinquency_bucket = serializers.CharField()
    applied_by = serializers.IntegerField(source="applied_by_id", allow_null=True)
    approved_by = serializers.IntegerField(source="approved_by_id", allow_null=True)
    applied_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    disbursed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class LoanBalancesSerializer(serializers.Serializer):
    principal_outstanding = AmountField()
    accrued_interest = AmountField(help_text="Accrued (as booked) and not yet paid.")
    amount_due = AmountField(help_text="Unpaid of instalments due today or earlier.")
    overdue_amount = AmountField(help_text="Unpaid of instalments due before today.")
    days_past_due = serializers.IntegerField()
    delinquency_bucket = serializers.CharField()
    next_due_date = serializers.DateField(allow_null=True)


class LoanDetailSerializer(LoanOutputSerializer):
    balances = LoanBalancesSerializer()
    schedule = LoanInstalmentSerializer(source="instalments", many=True)
    status_changes = LoanStatusChangeSerializer(many=True)


class LoanAllocationSerializer(serializers.Serializer):
    instalment = serializers.IntegerField(source="instalment.number")
    component = _choices(list(COMPONENTS), output=True)
    amount = AmountField(exponent_source="repayment.loan.currency.exponent")


class LoanRepaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    loan = serializers.IntegerField(source="loan_id")
    kind = _choices(Repayment.Kind.values, output=True)
    amount = AmountField(exponent_source="loan.currency.exponent")
    currency = serializers.CharField(source="loan.currency_id")
    business_date = serializers.DateField()
    entry_id = serializers.IntegerField(allow_null=True)
    allocations = LoanAllocationSerializer(many=True)
    created_at = serializers.DateTimeField()


class LoanRepaymentInputSerializer(StrictInputSerializer):
    amount = AmountField(help_text="Up to what is due today, as a string.")


class LoanEarlyRepaymentInputSerializer(StrictInputSerializer):
    amount = AmountField(required=False, allow_null=True, default=None,
                         help_text="Omit (or null) to pay the loan off in full; else the principal to prepay.")


class LoanEarlyRepaymentQuerySerializer(serializers.Serializer):
    amount = AmountField(required=False, help_text="Omit for a full payoff quote.")


class LoanLineSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    period_start = serializers.DateField()
    due_date = serializers.DateField()
    principal = AmountField()
    interest = AmountField()
    fee = AmountField()
    instalment = AmountField()


class LoanQuoteSerializer(serializers.Serializer):
    kind = _choices(["payoff", "early_partial"], output=True)
    day = serializers.DateField()
    currency = serializers.CharField()
    total = AmountField(help_text="What the early repayment takes from the customer's account.")
    fees = AmountField()
    penalties = AmountField()
    interest_due = AmountField(help_text="Interest of instalments already due.")
    interest_to_date = AmountField(help_text="Interest of the running period up to today.")
    principal = AmountField()
    schedule = LoanLineSerializer(source="lines", many=True, help_text="Partial: the recalculated instalments.")
