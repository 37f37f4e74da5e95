from __future__ import annotations

from rest_framework import serializers

from backoffice.kyc.models import KycApplication, KycCheckResult, KycDocument, KycHistory, RejectionReason, RiskRating
from core_banking.accounts.models import Product
from core_banking.common.api.strict import StrictInputSerializer

MAX_ID = 2**63 - 1


class KycFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=KycApplication.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=KycApplication.Kind.choices, required=False)
    risk_rating = serializers.ChoiceField(choices=RiskRating.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    unassigned = serializers.BooleanField(required=False, allow_null=True, default=None)


class KycCreateSerializer(StrictInputSerializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    product_kind = serializers.ChoiceField(choices=Product.Kind.choices, required=False, default="",
                                           help_text="The product the customer asks for (a risk factor).")


class KycDocumentUploadSerializer(StrictInputSerializer):
    type = serializers.ChoiceField(choices=KycDocument.Type.choices)
    file = serializers.FileField(help_text="PDF, PNG or JPEG, at most 10 MB.")
    expiry_date = serializers.DateField(required=False, allow_null=True, default=None,
                                        help_text="Required for identity documents.")


class KycAssignSerializer(StrictInputSerializer):
    assignee = serializers.IntegerField(min_value=1, max_value=MAX_ID, allow_null=True,
                                        help_text="User id of the reviewer; null unassigns.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class KycReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="Required to request information.")


class KycRejectSerializer(StrictInputSerializer):
    reason_code = serializers.ChoiceField(choices=RejectionReason.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class KycDocumentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = KycDocument
        fields = ["id", "type", "original_name", "size", "content_type", "expiry_date", "uploaded_by",
                  "uploaded_at"]


class KycCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = KycCheckResult
        fields = ["id", "run", "code", "outcome", "detail", "at"]


class KycHistorySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = KycHistory
        fields = ["id", "action", "from_status", "to_status", "reason", "actor", "at"]


class KycTransitionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    reason_required = serializers.BooleanField()


class KycApplicationSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    first_approval_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = KycApplication
        fields = ["id", "customer", "customer_number", "kind", "status", "product_kind", "assignee", "risk_score",
                  "risk_rating", "screening_outcome", "rejection_reason_code", "status_reason", "first_approval_by",
                  "first_approval_at", "decided_by", "decided_at", "next_review_date", "submitted_at", "created_at",
                  "updated_at"]


class KycApplicationDetailSerializer(KycApplicationSerializer):
    risk_factors = serializers.DictField(child=serializers.IntegerField())
    documents = KycDocumentSerializer(many=True, help_text="Empty for roles that may not see the documents.")
    checks = KycCheckSerializer(many=True, help_text="The latest run of the automatic checks.")
    history = KycHistorySerializer(many=True)
    available_transitions = KycTransitionSerializer(many=True, help_text="What the caller may fire now.")

    class Meta(KycApplicationSerializer.Meta):
        fields = [*KycApplicationSerializer.Meta.fields, "risk_factors", "documents", "checks", "history",
                  "available_transitions"]
