from __future__ import annotations

from rest_framework import serializers

from backoffice.approvals.models import ApprovalDecision, ApprovalHistory, ApprovalRequest
from backoffice.approvals.registry import ACTION_TYPE_CHOICES


class ApprovalRequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApprovalRequest.Status.choices, required=False)


class ApprovalInboxFilterSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class ApprovalRequestCreateSerializer(serializers.Serializer):
    action_type = serializers.ChoiceField(choices=ACTION_TYPE_CHOICES)
    payload = serializers.DictField(help_text="The action's parameters (amounts as decimal strings).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ApprovalCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ApprovalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="Required to reject.")


class ApprovalDecisionOutputSerializer(serializers.ModelSerializer):
    checker = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["id", "checker", "decision", "comment", "at"]


class ApprovalHistoryOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApprovalHistory
        fields = ["id", "action", "from_status", "to_status", "reason", "actor", "at"]


class ApprovalRequestOutputSerializer(serializers.ModelSerializer):
    maker = serializers.SlugRelatedField(slug_field="username", read_only=True)
    amount = serializers.DecimalField(max_digits=38, decimal_places=18, coerce_to_string=True, read_only=True,
                                      allow_null=True, normalize_output=True)

    class Meta:
        model = ApprovalRequest
        fields = ["id", "action_type", "status", "summary", "target_key", "amount", "currency", "maker", "reason",
                  "required_approvals", "approvals_count", "expires_at", "decided_at", "executed_at",
                  "execution_error", "created_at"]


class ApprovalRequestDetailSerializer(ApprovalRequestOutputSerializer):
    decisions = ApprovalDecisionOutputSerializer(many=True, read_only=True)
    history = ApprovalHistoryOutputSerializer(many=True, read_only=True)

    class Meta(ApprovalRequestOutputSerializer.Meta):
        fields = [*ApprovalRequestOutputSerializer.Meta.fields, "payload", "result", "status_reason",
                  "execution_attempts", "decisions", "history"]
