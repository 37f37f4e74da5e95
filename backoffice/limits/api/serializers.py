"""Serializers of the limits API. Amounts are JSON strings (see the ledger's ``AmountField``),
with as many decimals as the rule currency's exponent; a missing or null limit is no limit.
``channel`` is a payment channel, or ``""`` for every channel."""

from __future__ import annotations

from rest_framework import serializers

from core_banking.common.api.strict import StrictInputSerializer
from core_banking.ledger.api.serializers import AmountField, CurrencyCodeField
from core_banking.payments.models import Channel

from ..models import LimitProfile, LimitRule

CHANNEL_HELP = "A payment channel, or an empty string for every channel."
MAX_ID = 2**63 - 1


class ChannelField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", CHANNEL_HELP)
        super().__init__(choices=[("", "Every channel"), *Channel.choices], **kwargs)


# --- outputs -------------------------------------------------------------------------------


class LimitRuleOutputSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(help_text="profile, customer or account.")
    profile = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    account = serializers.IntegerField(source="account_id", allow_null=True)
    channel = serializers.CharField(help_text=CHANNEL_HELP)
    currency = serializers.CharField(source="currency_id")
    max_single_amount = AmountField(exponent_source="currency.exponent", allow_null=True)
    daily_amount = AmountField(exponent_source="currency.exponent", allow_null=True)
    monthly_amount = AmountField(exponent_source="currency.exponent", allow_null=True)

    class Meta:
        model = LimitRule
        fields = ["id", "scope", "profile", "customer", "account", "channel", "currency", "max_single_amount",
                  "daily_amount", "daily_count", "monthly_amount", "monthly_count", "note", "created_at",
                  "updated_at"]


class LimitProfileRuleOutputSerializer(LimitRuleOutputSerializer):
    class Meta(LimitRuleOutputSerializer.Meta):
        fields = ["id", "channel", "currency", "max_single_amount", "daily_amount", "daily_count",
                  "monthly_amount", "monthly_count", "note", "updated_at"]


class LimitProfileOutputSerializer(serializers.ModelSerializer):
    rules = LimitProfileRuleOutputSerializer(many=True)

    class Meta:
        model = LimitProfile
        fields = ["id", "code", "name", "description", "is_active", "rules", "created_at", "updated_at"]


class LimitAllowanceOutputSerializer(serializers.Serializer):
    limit = serializers.CharField(help_text="max_single_amount, daily_amount, daily_count, monthly_amount or "
                                            "monthly_count.")
    scope = serializers.CharField(help_text="Whose usage it measures: account, or customer (all their accounts).")
    scope_id = serializers.IntegerField()
    source = serializers.CharField(help_text='The rule it comes from: "profile <code>", "account" or "customer".')
    rule_id = serializers.IntegerField()
    channel = serializers.CharField(help_text=CHANNEL_HELP)
    period = serializers.CharField(allow_null=True, help_text="day, month, or null for the single-payment limit.")
    period_start = serializers.DateField(allow_null=True)
    currency = serializers.CharField(allow_null=True, help_text="The currency of the amounts; null for a count.")
    limit_value = serializers.CharField(help_text="The limit: an amount string, or a number of payments.")
    used = serializers.CharField(allow_null=True, help_text="Counted so far in the period.")
    remaining = serializers.CharField(help_text="What is left (never below zero); for the single-payment limit, "
                                                "the most one payment may be.")


class AccountLimitsAllowanceOutputSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    channel = serializers.CharField()
    business_date = serializers.DateField()
    limits = LimitAllowanceOutputSerializer(many=True)


# --- inputs --------------------------------------------------------------------------------


class LimitProfileFilterSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    code = serializers.CharField(required=False, max_length=32)


class LimitRuleFilterSerializer(serializers.Serializer):
    profile = serializers.CharField(required=False, max_length=32, help_text="A profile's code.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    scope = serializers.ChoiceField(required=False, choices=["profile", "customer", "account"])
    channel = ChannelField(required=False, allow_blank=True)


class _LimitsInput(StrictInputSerializer):
    channel = ChannelField(required=False, allow_blank=True)
    currency = CurrencyCodeField()
    max_single_amount = AmountField(required=False, allow_null=True)
    daily_amount = AmountField(required=False, allow_null=True)
    daily_count = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)
    monthly_amount = AmountField(required=False, allow_null=True)
    monthly_count = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class LimitRuleCreateInputSerializer(_LimitsInput):
    """Name exactly one scope: ``profile`` (a code), ``customer`` or ``account`` (an id)."""

    profile = serializers.CharField(required=False, max_length=32, help_text="A profile's code.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                   help_text="Why: required from staff (the approval request's reason).")

    def validate(self, data):
        if sum(1 for key in ("profile", "customer", "account") if data.get(key) not in (None, "")) != 1:
            raise serializers.ValidationError("Name exactly one of profile, customer or account.")
        return data


class LimitRuleUpdateInputSerializer(_LimitsInput):
    """Only the fields sent change; a limit sent as null is removed."""

    currency = CurrencyCodeField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                   help_text="Why: required from staff (the approval request's reason).")


class LimitRuleDeleteInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="Why: required from staff (the approval request's reason).")


class LimitAllowanceQuerySerializer(serializers.Serializer):
    channel = ChannelField(required=False, allow_blank=True, default="",
                           help_text="The channel of the intended payment; empty: the every-channel limits only.")
    business_date = serializers.DateField(required=False, help_text="Default: the current business date.")

