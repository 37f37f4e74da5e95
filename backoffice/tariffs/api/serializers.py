"""Serializers of the tariffs API. Amounts and percentages are JSON strings (see the ledger's
``AmountField``): amounts with as many decimals as the fee currency's exponent, percentages as
fractions (``"0.0025"`` is 0.25 %)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core_banking.common.api.strict import StrictInputSerializer
from core_banking.ledger.api.serializers import AmountField, CurrencyCodeField
from core_banking.payments.models import Channel, FeeEvent

from ..models import FRACTION, FeeRule, FeeTier, Period, TariffPlan, TariffVersion
from ..services import MAX_RULES_PER_VERSION, MAX_TIERS_PER_RULE


class FractionField(AmountField):
    """A fraction as a JSON string: ``"0.0025"`` is 0.25 %. Output without trailing zeros."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", FRACTION["max_digits"])
        kwargs.setdefault("decimal_places", FRACTION["decimal_places"])
        kwargs.setdefault("help_text", 'A fraction, as a string: "0.0025" is 0.25 %.')
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return format(value.normalize() if value else Decimal(0), "f")


# --- outputs -------------------------------------------------------------------------------


class TierOutputSerializer(serializers.ModelSerializer):
    from_volume = AmountField(exponent_source="rule.currency.exponent")
    percentage = FractionField()
    fixed_amount = AmountField(exponent_source="rule.currency.exponent")

    class Meta:
        model = FeeTier
        fields = ["from_volume", "percentage", "fixed_amount"]


class RuleOutputSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id")
    fixed_amount = AmountField(exponent_source="currency.exponent")
    percentage = FractionField()
    min_fee = AmountField(exponent_source="currency.exponent")
    max_fee = AmountField(exponent_source="currency.exponent", allow_null=True)
    tiers = TierOutputSerializer(many=True)
    version_id = serializers.IntegerField()

    class Meta:
        model = FeeRule
        fields = ["id", "version_id", "event", "channel", "currency", "fixed_amount", "percentage", "min_fee",
                  "max_fee", "free_allowance_count", "allowance_period", "description", "tiers"]


class VersionOutputSerializer(serializers.ModelSerializer):
    plan_id = serializers.IntegerField()
    effective_to = serializers.DateField(allow_null=True, read_only=True,
                                         help_text="The last day in force: the day before the next version starts.")
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    rules = RuleOutputSerializer(many=True)

    class Meta:
        model = TariffVersion
        fields = ["id", "plan_id", "effective_from", "effective_to", "note", "created_by", "created_at", "rules"]


class PlanOutputSerializer(serializers.ModelSerializer):
    versions = VersionOutputSerializer(many=True, help_text="Newest first.")

    class Meta:
        model = TariffPlan
        fields = ["id", "code", "name", "description", "is_active", "created_at", "updated_at", "versions"]


# --- inputs --------------------------------------------------------------------------------


class PlanFilterSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    code = serializers.CharField(required=False, max_length=32, help_text="An exact plan code.")


class PlanCreateInputSerializer(StrictInputSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=32,
                                  help_text="Stored upper-case, e.g. STANDARD; products name it.")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class TierInputSerializer(StrictInputSerializer):
    from_volume = AmountField(help_text="Monthly volume (fee currency) where the band starts; above 0.")
    percentage = FractionField(required=False, default=Decimal(0))
    fixed_amount = AmountField(required=False, default=Decimal(0))


class RuleInputSerializer(StrictInputSerializer):
    event = serializers.ChoiceField(choices=FeeEvent.choices)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True, default="",
                                      help_text="Empty: any channel.")
    currency = CurrencyCodeField(help_text="The fee currency of the rule's amounts, e.g. EUR.")
    fixed_amount = AmountField(required=False, default=Decimal(0))
    percentage = FractionField(required=False, default=Decimal(0))
    min_fee = AmountField(required=False, default=Decimal(0))
    max_fee = AmountField(required=False, allow_null=True, default=None)
    free_allowance_count = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0)
    allowance_period = serializers.ChoiceField(choices=Period.choices, required=False, default=Period.MONTH)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    tiers = serializers.ListField(child=TierInputSerializer(), required=False, default=list,
                                  max_length=MAX_TIERS_PER_RULE)


REASON_HELP = "Why: required from staff (the approval request's reason)."


class RuleCreateInputSerializer(RuleInputSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=REASON_HELP)


class VersionCreateInputSerializer(StrictInputSerializer):
    effective_from = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    rules = serializers.ListField(child=RuleInputSerializer(), required=False, default=list,
                                  max_length=MAX_RULES_PER_VERSION)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=REASON_HELP)
