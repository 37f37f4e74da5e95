"""Serializers of the interest API. Rates are fractions as JSON strings (``"0.025"`` is 2.5 %);
amounts are JSON strings, in the currency's units except the unrounded running total, which
keeps the ledger's 18 places."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core_banking.common.api.strict import StrictInputSerializer
from core_banking.deposits.api.serializers import RateField
from core_banking.interest.models import InterestCapitalisation, InterestRate, InterestRateSchedule, InterestRateTier
from core_banking.ledger.api.serializers import AmountField


class InterestTierSerializer(serializers.ModelSerializer):
    from_balance = AmountField(exponent_source="rate_version.schedule.currency.exponent")
    rate = RateField()

    class Meta:
        model = InterestRateTier
        fields = ["from_balance", "rate"]
        read_only_fields = fields


class InterestRateVersionSerializer(serializers.ModelSerializer):
    credit_rate = RateField()
    debit_rate = RateField()
    tiers = InterestTierSerializer(many=True, read_only=True)

    class Meta:
        model = InterestRate
        fields = ["id", "effective_from", "credit_rate", "debit_rate", "tiers", "note", "created_at"]
        read_only_fields = fields


class InterestScheduleSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id")
    minimum_balance = AmountField(exponent_source="currency.exponent")
    withholding_tax_rate = RateField()
    versions = InterestRateVersionSerializer(source="rates", many=True, read_only=True,
                                     help_text="Newest first; the one in force on a day is the latest that started.")

    class Meta:
        model = InterestRateSchedule
        fields = ["id", "code", "name", "currency", "convention", "accrual_basis", "capitalisation_frequency",
                  "minimum_balance", "withholding_tax_rate", "tier_mode", "description", "is_active", "versions"]
        read_only_fields = fields


class InterestTierInputSerializer(StrictInputSerializer):
    from_balance = AmountField(help_text="Where the band starts (inclusive), in the schedule's currency.")
    rate = RateField(help_text="Annual rate of the band.")


class InterestRateVersionInputSerializer(StrictInputSerializer):
    effective_from = serializers.DateField(help_text="The open business date or later.")
    credit_rate = RateField(help_text="Annual, on credit balances (band 0 when tiered).")
    debit_rate = RateField(required=False, default=Decimal(0), help_text="Annual, on overdrawn balances.")
    tiers = InterestTierInputSerializer(many=True, required=False, default=list)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InterestCapitalisationSerializer(serializers.ModelSerializer):
    schedule = serializers.CharField(source="schedule.code")
    interest = AmountField(exponent_source="account.currency.exponent")
    withholding_tax = AmountField(exponent_source="account.currency.exponent")
    net = AmountField(exponent_source="account.currency.exponent")

    class Meta:
        model = InterestCapitalisation
        fields = ["schedule", "period_start", "period_end", "interest", "withholding_tax", "net", "entry_id",
                  "created_at"]
        read_only_fields = fields


class AccruedInterestSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    currency = serializers.CharField()
    schedule = serializers.CharField(allow_null=True, help_text="The schedule of the period to date, if any.")
    period_start = serializers.DateField(allow_null=True)
    accrued_through = serializers.DateField(allow_null=True, help_text="The last day accrued.")
    accrued = AmountField(help_text="Unrounded running total of the period to date (18 places).")
    accrued_rounded = AmountField(help_text="The running total rounded once (what the ledger holds for it).")
    capitalisations = InterestCapitalisationSerializer(many=True, help_text="The last ones, newest first.")
