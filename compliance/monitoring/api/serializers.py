"""Serializers of the monitoring rules API. Amount parameters are decimal strings in the bank's
base currency (see ``compliance/monitoring/kinds.py`` for each kind's parameters)."""

from __future__ import annotations

from rest_framework import serializers

from core_banking.common.api.strict import StrictInputSerializer
from core_banking.customers.models import Customer

from ..kinds import Action, Kind
from ..models import MonitoringRule, RuleVersion

PARAMETERS_HELP = ("The kind's parameters (docs/compliance-monitoring.md): amounts as decimal strings in the base "
                   "currency, counts and windows as integers.")


class RuleVersionOutputSerializer(serializers.ModelSerializer):
    parameters = serializers.DictField(help_text=PARAMETERS_HELP)
    customer_types = serializers.ListField(child=serializers.CharField(), help_text="Empty: every customer type.")
    risk_ratings = serializers.ListField(child=serializers.CharField(), help_text="Empty: every risk rating.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RuleVersion
        fields = ["id", "version", "parameters", "score", "action", "customer_types", "risk_ratings",
                  "effective_from", "note", "created_by", "created_at"]


class MonitoringRuleOutputSerializer(serializers.ModelSerializer):
    versions = RuleVersionOutputSerializer(many=True)

    class Meta:
        model = MonitoringRule
        fields = ["id", "code", "kind", "name", "description", "is_active", "versions", "created_at", "updated_at"]


class MonitoringRuleFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    code = serializers.CharField(required=False, max_length=40)


class RuleVersionFieldsSerializer(StrictInputSerializer):
    parameters = serializers.DictField(help_text=PARAMETERS_HELP)
    score = serializers.IntegerField(min_value=0, max_value=100)
    action = serializers.ChoiceField(choices=Action.choices, default=Action.ALERT)
    customer_types = serializers.ListField(child=serializers.ChoiceField(choices=Customer.Type.choices),
                                           required=False, default=list)
    risk_ratings = serializers.ListField(child=serializers.ChoiceField(choices=Customer.RiskRating.choices),
                                         required=False, default=list)
    effective_from = serializers.DateField(required=False, allow_null=True, default=None,
                                           help_text="Default: the open business date; never earlier.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RuleVersionInputSerializer(RuleVersionFieldsSerializer):
    reason = serializers.CharField(max_length=500, help_text="Why (recorded on the approval request).")


class MonitoringRuleCreateInputSerializer(StrictInputSerializer):
    code = serializers.CharField(max_length=40, help_text="Upper-case letters, digits, _ and -, e.g. TM-LARGE-SME.")
    kind = serializers.ChoiceField(choices=Kind.choices)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    version = RuleVersionFieldsSerializer(help_text="Version 1 of the rule.")
    reason = serializers.CharField(max_length=500, help_text="Why (recorded on the approval request).")


class MonitoringReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)
