from __future__ import annotations

from rest_framework import serializers

from backoffice.approvals.models import ApprovalDecision, ApprovalHistory, ApprovalRequest
from backoffice.approvals.registry import ACTION_TYPE_CHOICES
from core_banking.common.api.strict import StrictInputSerializer


class ApprovalRequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApprovalRequest.Status.choices, required=False)


class ApprovalInboxFilterSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class ApprovalRequestCreateSerializer(StrictInputSerializer):
    action_type = serializers.ChoiceField(choices=ACTION_TYPE_CHOICES)
    payload = serializers.DictField(help_text="The action's parameters (amounts as decimal strings).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ApprovalCommentSerializer(StrictInputSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ApprovalReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="Required to reject.")


class ApprovalDecisionOutputSerializer(serializers.ModelSerializer):
    checker = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["id", "checker", "decision", "comment", "at"]


class ApprovalHistoryOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

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


class ApprovalTargetFactSerializer(serializers.Serializer):
    label = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True, help_text="In words; amounts as `12,345.60 EUR`.")
    url = serializers.CharField(read_only=True, allow_null=True,
                                help_text="The admin page of the row, when you may view that model; else null.")


class ApprovalTargetPostingSerializer(serializers.Serializer):
    account_code = serializers.CharField(read_only=True)
    account_name = serializers.CharField(read_only=True)
    amount = serializers.CharField(read_only=True, help_text="Signed (debit positive), with its currency.")
    url = serializers.CharField(read_only=True, allow_null=True)


class ApprovalTargetSerializer(serializers.Serializer):
    """What the request is about, read now from the rows its payload names."""

    kind = serializers.ChoiceField(read_only=True, choices=["account", "journal_entry", "payment", "customer",
                                                            "limit_rule", "tariff", "other"])
    title = serializers.CharField(read_only=True)
    facts = ApprovalTargetFactSerializer(many=True, read_only=True)
    postings = ApprovalTargetPostingSerializer(many=True, read_only=True,
                                               help_text="A reversal's or an adjustment's postings; else empty.")


class ApprovalRequestDetailSerializer(ApprovalRequestOutputSerializer):
    decisions = ApprovalDecisionOutputSerializer(many=True, read_only=True)
    history = ApprovalHistoryOutputSerializer(many=True, read_only=True)
    target = ApprovalTargetSerializer(read_only=True, help_text="The request's target in words, for the checker.")
    next_step = serializers.CharField(read_only=True, help_text="What happens next, in words: who must approve by "
                                      "when, or how the request ended.")

    class Meta(ApprovalRequestOutputSerializer.Meta):
        fields = [*ApprovalRequestOutputSerializer.Meta.fields, "payload", "result", "status_reason",
                  "execution_attempts", "target", "next_step", "decisions", "history"]
