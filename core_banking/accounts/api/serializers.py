"""Serializers of the products and accounts API.

Amounts are JSON strings, never numbers (the ledger's ``AmountField``); outputs carry exactly as
many decimals as the currency's exponent. Inputs refuse keys they do not know. Rules of
substance (KYC, product availability, overdraft within the product's maximum, the lifecycle)
are the services' job and come back with their own codes.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core_banking.accounts.models import Account, AccountStatusChange, Product
from core_banking.common.api.strict import StrictInputSerializer
from core_banking.ledger.api.serializers import MAX_ID, ActiveCurrencyField, AmountField, CurrencyCodeField
from core_banking.ledger.models import LedgerAccount


def _text(max_length: int, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="",
                                 help_text=help_text)


# --- products ------------------------------------------------------------------------------


class ProductInputSerializer(StrictInputSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$", max_length=32,
                                  help_text="Unique; letters, digits and . _ -")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    currency = ActiveCurrencyField()
    gl_account_id = serializers.PrimaryKeyRelatedField(
        source="gl_account", queryset=LedgerAccount.objects.all(),
        help_text="The general-ledger header account (is_synthetic): a liability for deposit products, an "
        "asset for loans.",
    )
    overdraft_allowed = serializers.BooleanField(default=False)
    max_overdraft_limit = AmountField(default=Decimal(0))
    default_overdraft_limit = AmountField(default=Decimal(0), help_text="The limit a new account gets.")
    tariff_plan_code = _text(32, "Tariff plan (back office).")
    limit_profile_code = _text(32, "Limit profile (back office).")
    interest_schedule_code = _text(32, "Interest rate schedule its accounts earn under (same currency); empty: "
                                   "no interest.")
    description = _text(5000)
    is_active = serializers.BooleanField(default=True)


class ProductOutputSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id")
    gl_account_id = serializers.IntegerField()
    gl_account_code = serializers.CharField(source="gl_account.code")
    max_overdraft_limit = AmountField(exponent_source="currency.exponent")
    default_overdraft_limit = AmountField(exponent_source="currency.exponent")

    class Meta:
        model = Product
        fields = ["id", "code", "name", "kind", "currency", "gl_account_id", "gl_account_code", "overdraft_allowed",
                  "max_overdraft_limit", "default_overdraft_limit", "tariff_plan_code", "limit_profile_code",
                  "interest_schedule_code", "description", "is_active", "created_at"]
        read_only_fields = fields


class ProductFilterSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    currency = CurrencyCodeField(required=False)
    kind = serializers.ChoiceField(required=False, choices=Product.Kind.choices)


# --- accounts ------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "maxLength": 32}],
                      "description": "The product's id (a JSON integer) or its code (a JSON string)."})
class ProductReferenceField(serializers.Field):
    default_error_messages = {
        "invalid": "Give the product's id (an integer) or its code (a string).",
    }

    def to_internal_value(self, data) -> dict:
        if isinstance(data, int) and not isinstance(data, bool) and 1 <= data <= MAX_ID:
            return {"product_id": data}
        if isinstance(data, str) and data.strip() and len(data.strip()) <= 32:
            return {"product_code": data.strip()}
        self.fail("invalid")

    def to_representation(self, value):
        return value


class AccountOpenInputSerializer(StrictInputSerializer):
    refused = {
        "status": "An account opens active; its lifecycle changes through its action endpoints.",
        "iban": "The IBAN is assigned by the bank.",
    }

    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                        help_text="The customer's id; its KYC must be approved.")
    product = ProductReferenceField()
    name = _text(200, "Default: the customer's name and the product's.")
    overdraft_limit = AmountField(required=False, allow_null=True, default=None,
                                  help_text="Default: the product's default limit; at most its maximum.")


class BalanceSummarySerializer(serializers.Serializer):
    """The current balance of an account's ledger account, in its units."""

    posted = AmountField(source="posted_balance", exponent_source="currency.exponent",
                         help_text="The ledger balance: positive when a deposit account is in credit.")
    held = AmountField(source="held_balance", exponent_source="currency.exponent",
                       help_text="Reserved by pending holds.")
    available = AmountField(source="available_balance", exponent_source="currency.exponent",
                            help_text="posted - held (the overdraft limit comes on top).")


class CustomerAccountOutputSerializer(serializers.ModelSerializer):
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    product_id = serializers.IntegerField()
    product_code = serializers.CharField(source="product.code")
    currency = serializers.CharField(source="currency_id")
    ledger_account_id = serializers.IntegerField()
    overdraft_limit = AmountField(exponent_source="currency.exponent")
    balance = BalanceSummarySerializer(source="*")

    class Meta:
        model = Account
        fields = ["id", "number", "iban", "name", "customer_id", "customer_number", "product_id", "product_code",
                  "currency", "status", "status_reason", "overdraft_limit", "balance", "ledger_account_id",
                  "opened_at", "activated_at", "closed_at"]
        read_only_fields = fields


class StatusChangeOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AccountStatusChange
        fields = ["from_status", "to_status", "reason", "actor", "at"]
        read_only_fields = fields


class CustomerAccountDetailOutputSerializer(CustomerAccountOutputSerializer):
    status_changes = StatusChangeOutputSerializer(many=True)

    class Meta(CustomerAccountOutputSerializer.Meta):
        fields = [*CustomerAccountOutputSerializer.Meta.fields, "status_changes"]
        read_only_fields = fields


class AccountFilterSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Customer id.")
    status = serializers.ChoiceField(required=False, choices=Account.Status.choices)
    currency = CurrencyCodeField(required=False)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Product id.")
    iban = serializers.CharField(required=False, max_length=42, help_text="Exact IBAN (spaces ignored).")


class ReasonInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, help_text="Why; recorded in the history and the audit trail.")


class OverdraftInputSerializer(ReasonInputSerializer):
    limit = AmountField(help_text='The new limit, e.g. "500.00"; 0 removes the overdraft.')


class CustomerAccountBalanceOutputSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    iban = serializers.CharField()
    currency = serializers.CharField()
    posted = AmountField(help_text="The ledger balance: positive when a deposit account is in credit.")
    held = AmountField(allow_null=True, help_text="Reserved by pending holds; null for a past balance.")
    pending_in = AmountField(allow_null=True, help_text="Pending incoming holds; null for a past balance.")
    available = AmountField(allow_null=True, help_text="posted - held; null for a past balance.")
    as_of = serializers.DateTimeField(allow_null=True, help_text="The instant; null for the current balance.")


# --- statements ----------------------------------------------------------------------------


class CustomerStatementQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First business date, inclusive.")
    date_to = serializers.DateField(help_text="Last business date, inclusive.")

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "The period ends before it starts."})
        if (attrs["date_to"] - attrs["date_from"]).days > 366:
            raise serializers.ValidationError({"date_to": "A statement covers at most a year."})
        return attrs


class CustomerStatementLineSerializer(serializers.Serializer):
    booked_at = serializers.DateTimeField()
    business_date = serializers.DateField()
    value_date = serializers.DateField()
    reference = serializers.CharField()
    description = serializers.CharField()
    counterparty = serializers.CharField()
    debit = AmountField()
    credit = AmountField()
    balance = AmountField()
    entry_id = serializers.IntegerField()
    payment_id = serializers.IntegerField(allow_null=True)


class CustomerStatementOutputSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(source="account.pk")
    iban = serializers.CharField(source="account.iban")
    currency = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening_balance = AmountField()
    closing_balance = AmountField()
    total_debit = AmountField()
    total_credit = AmountField()
    truncated = serializers.BooleanField()
    lines = CustomerStatementLineSerializer(many=True)
