"""Serializers of the term-deposits API. Amounts are JSON strings (the ledger's ``AmountField``);
outputs carry as many decimals as the currency's exponent, except the unrounded accruals, which
keep their 18 places. Rates are fractions as strings: ``"0.03"`` is 3 %."""

from __future__ import annotations

from rest_framework import serializers

from core_banking.common.api.strict import DecimalStringField, StrictInputSerializer
from core_banking.deposits.models import (
    DepositAccrual,
    DepositProduct,
    DepositStatusChange,
    MaturityInstruction,
    TermDeposit,
    TermUnit,
)
from core_banking.interest.daycount import Convention
from core_banking.ledger.api.serializers import MAX_ID, AmountField, CurrencyCodeField


class RateField(DecimalStringField):
    """An annual rate or a fraction, as a plain decimal JSON string with up to 8 decimal places."""

    default_error_messages = {"not_a_string": 'Send rates as JSON strings, e.g. "0.03", not as numbers.'}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 8)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return format(value.normalize() if value else value.copy_abs(), "f")


# --- products ------------------------------------------------------------------------------


class DepositProductInputSerializer(StrictInputSerializer):
    code = serializers.RegexField(r"^[A-Z0-9][A-Z0-9_-]*$", max_length=32)
    name = serializers.CharField(max_length=200)
    currency = CurrencyCodeField()
    account_product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                                  help_text="The accounts product (kind term_deposit).")
    convention = serializers.ChoiceField(choices=[c.value for c in Convention], default=Convention.ACT_365F.value)
    term_unit = serializers.ChoiceField(choices=TermUnit.choices, default=TermUnit.MONTHS)
    min_term = serializers.IntegerField(min_value=1, max_value=1200)
    max_term = serializers.IntegerField(min_value=1, max_value=36600)
    allowed_terms = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                          max_length=100)
    min_amount = AmountField()
    max_amount = AmountField(required=False, allow_null=True, default=None)
    default_rate = RateField()
    withholding_tax_rate = RateField(required=False, default="0")
    early_withdrawal_allowed = serializers.BooleanField(required=False, default=True)
    penalty_days = serializers.IntegerField(min_value=0, max_value=3660, required=False, default=0)
    penalty_rate = RateField(required=False, default="0")
    penalty_may_touch_principal = serializers.BooleanField(required=False, default=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class DepositProductSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id")
    account_product = serializers.CharField(source="account_product.code")
    min_amount = AmountField(exponent_source="currency.exponent")
    max_amount = AmountField(exponent_source="currency.exponent", allow_null=True)
    default_rate = RateField()
    withholding_tax_rate = RateField()
    penalty_rate = RateField()

    class Meta:
        model = DepositProduct
        fields = ["id", "code", "name", "currency", "account_product", "convention", "term_unit", "min_term",
                  "max_term", "allowed_terms", "min_amount", "max_amount", "default_rate", "withholding_tax_rate",
                  "early_withdrawal_allowed", "penalty_days", "penalty_rate", "penalty_may_touch_principal",
                  "description", "is_active", "created_at"]


class DepositProductFilterSerializer(serializers.Serializer):
    currency = CurrencyCodeField(required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


# --- deposits ------------------------------------------------------------------------------


class DepositOpenInputSerializer(StrictInputSerializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    funding_account_id = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                                  help_text="The customer's account it is funded from and paid to.")
    amount = AmountField(help_text='The principal, as a string, e.g. "10000.00".')
    term = serializers.IntegerField(min_value=1, max_value=36600, help_text="In the product's term unit.")
    instruction = serializers.ChoiceField(choices=MaturityInstruction.choices, default=MaturityInstruction.PAY_OUT)
    rate = RateField(required=False, allow_null=True, default=None,
                     help_text="Annual, as a fraction; the product's default rate when omitted.")


class DepositFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    status = serializers.ChoiceField(choices=TermDeposit.Status.choices, required=False)
    currency = CurrencyCodeField(required=False)
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    funding_account = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    maturity_from = serializers.DateField(required=False)
    maturity_to = serializers.DateField(required=False)
    number = serializers.CharField(max_length=20, required=False)


class DepositWithdrawInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class DepositStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DepositStatusChange
        fields = ["from_status", "to_status", "reason", "actor", "at"]


class DepositOutputSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id")
    product = serializers.CharField(source="product.code")
    customer = serializers.CharField(source="customer.number")
    account_iban = serializers.CharField(source="account.iban")
    funding_account_iban = serializers.CharField(source="funding_account.iban")
    predecessor = serializers.CharField(source="predecessor.number", default=None, allow_null=True)
    principal = AmountField(exponent_source="currency.exponent")
    rate = RateField()
    withholding_tax_rate = RateField()
    penalty_rate = RateField()
    interest_paid = AmountField(exponent_source="currency.exponent", allow_null=True)
    tax_withheld = AmountField(exponent_source="currency.exponent", allow_null=True)
    penalty = AmountField(exponent_source="currency.exponent", allow_null=True)
    payout_amount = AmountField(exponent_source="currency.exponent", allow_null=True)
    opening_entry = serializers.IntegerField(source="opening_entry_id", allow_null=True)
    settlement_entry = serializers.IntegerField(source="settlement_entry_id", allow_null=True)

    class Meta:
        model = TermDeposit
        fields = ["id", "number", "status", "customer", "product", "account", "account_iban", "funding_account",
                  "funding_account_iban", "currency", "principal", "rate", "convention", "term", "term_unit",
                  "start_date", "maturity_date", "instruction", "withholding_tax_rate", "early_withdrawal_allowed",
                  "penalty_days", "penalty_rate", "penalty_may_touch_principal", "predecessor", "accrued_through",
                  "interest_paid", "tax_withheld", "penalty", "payout_amount", "closed_on", "status_reason",
                  "opening_entry", "settlement_entry", "created_at"]


class DepositInterestSerializer(serializers.Serializer):
    accrued_interest = AmountField(help_text="Unrounded, 18 decimal places, to `accrued_through`.")
    accrued_interest_rounded = AmountField()
    accrued_through = serializers.DateField(allow_null=True)
    interest_at_maturity = AmountField(help_text="Rounded once, as maturity pays it, at the contract rate.")
    tax_at_maturity = AmountField()
    net_interest_at_maturity = AmountField()
    maturity_amount = AmountField(help_text="Principal plus net interest.")


class DepositDetailSerializer(DepositOutputSerializer):
    """A deposit with its successor, history and interest figures (``projection``, set by the view
    from ``selectors.deposit_projection``)."""

    successor = serializers.SerializerMethodField()
    interest = DepositInterestSerializer(source="projection", read_only=True)
    status_changes = DepositStatusChangeSerializer(many=True, read_only=True)

    class Meta(DepositOutputSerializer.Meta):
        fields = [*DepositOutputSerializer.Meta.fields, "successor", "interest", "status_changes"]

    def get_successor(self, deposit) -> str | None:
        successor = getattr(deposit, "successor", None)  # the reverse one-to-one raises when absent
        return successor.number if successor else None


class DepositAccrualSerializer(serializers.ModelSerializer):
    rate = RateField()
    amount = AmountField()
    principal = AmountField()
    daily_factor = serializers.DecimalField(max_digits=40, decimal_places=38, coerce_to_string=True)

    class Meta:
        model = DepositAccrual
        fields = ["id", "accrual_date", "business_date", "principal", "rate", "convention", "daily_factor", "amount"]


class DepositAccrualFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
