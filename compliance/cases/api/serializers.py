from __future__ import annotations

from rest_framework import serializers

from compliance.cases import selectors, transitions
from compliance.cases.models import Alert, Case, CaseAttachment, CaseNote, CaseStatusChange, SuspiciousActivityReport
from compliance.cases.selectors import ALERT_ORDERINGS, BUCKET_CODES, CASE_ORDERINGS
from core_banking.common.api.strict import StrictInputSerializer

MAX_ID = 2**63 - 1


class AlertFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Alert.Status.choices, required=False)
    source = serializers.ChoiceField(choices=Alert.Source.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    case = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    min_score = serializers.IntegerField(required=False, min_value=0, max_value=100)
    age = serializers.ChoiceField(choices=BUCKET_CODES, required=False, help_text="Ageing bucket.")
    ordering = serializers.ChoiceField(choices=list(ALERT_ORDERINGS), required=False, default="age",
                                       help_text="`age` oldest first, `-age` newest first, `score`, `-score`.")


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    open = serializers.BooleanField(required=False, allow_null=True, default=None,
                                    help_text="Only cases still open, investigating or escalated.")
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    mine = serializers.BooleanField(required=False, allow_null=True, default=None,
                                    help_text="Only the cases assigned to you.")
    unassigned = serializers.BooleanField(required=False, allow_null=True, default=None)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    min_score = serializers.IntegerField(required=False, min_value=0, max_value=100)
    age = serializers.ChoiceField(choices=BUCKET_CODES, required=False, help_text="Ageing bucket.")
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(choices=list(CASE_ORDERINGS), required=False, default="age",
                                       help_text="`age` oldest first, `-age`, `score`, `-score`, `due`, `-due`, "
                                       "`assignee`.")


class AlertSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    payment_reference = serializers.CharField(source="payment.reference", read_only=True, allow_null=True,
                                              default=None)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    age_bucket = serializers.CharField(read_only=True, required=False)

    def to_representation(self, instance):
        if not hasattr(instance, "age_bucket"):  # not from the queue's annotated queryset (a detail, a decision)
            instance.age_bucket = selectors.age_bucket(instance.created_at)
        return super().to_representation(instance)

    class Meta:
        model = Alert
        fields = ["id", "case", "case_number", "customer", "customer_number", "source", "rule_code", "rule_version",
                  "score", "summary", "facts", "payment", "payment_reference", "status", "decided_by", "decided_at",
                  "decision_note", "payment_action", "payment_approval_request_id", "created_at", "age_bucket"]


class CaseSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    age_bucket = serializers.CharField(read_only=True, required=False)

    def to_representation(self, instance):
        if not hasattr(instance, "age_bucket"):  # not from the queue's annotated queryset
            instance.age_bucket = selectors.age_bucket(instance.opened_at)
        return super().to_representation(instance)

    class Meta:
        model = Case
        fields = ["id", "number", "customer", "customer_number", "customer_name", "status", "score", "assignee",
                  "opened_at", "due_at", "escalated_at", "closed_at", "resolution", "age_bucket"]


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseNote
        fields = ["id", "author", "text", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseAttachment
        fields = ["id", "original_name", "size", "content_type", "sha256", "description", "uploaded_by",
                  "uploaded_at"]


class HistorySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CaseStatusChange
        fields = ["id", "action", "from_status", "to_status", "reason", "actor", "at"]


class ReportSummarySerializer(serializers.ModelSerializer):
    filed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SuspiciousActivityReport
        fields = ["id", "reference", "sha256", "filed_by", "filed_at"]


class TransitionOptionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    reason_required = serializers.BooleanField()


class CustomerProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    kyc_status = serializers.CharField()
    risk_rating = serializers.CharField()
    date_of_birth = serializers.CharField(allow_null=True, help_text="Masked without customers.view_customer_pii.")
    nationality = serializers.CharField()
    registration_number = serializers.CharField()
    occupation = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()
    country = serializers.CharField()
    customer_since = serializers.DateTimeField()


class CounterpartySerializer(serializers.Serializer):
    name = serializers.CharField()
    iban = serializers.CharField()
    bic = serializers.CharField()
    country = serializers.CharField()


class CasePaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.CharField(help_text="A decimal string in the currency's exponent.")
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    posted_at = serializers.DateTimeField(allow_null=True)
    debtor_iban = serializers.CharField(allow_null=True)
    creditor_iban = serializers.CharField(allow_null=True)
    counterparty = CounterpartySerializer()
    review_reasons = serializers.ListField(child=serializers.DictField())


class ScreeningEvidenceSerializer(serializers.Serializer):
    alert = serializers.IntegerField()
    list = serializers.CharField(help_text="The screening list (the alert's rule code).")
    rule_version = serializers.IntegerField()
    score = serializers.IntegerField()
    summary = serializers.CharField()
    status = serializers.CharField()
    facts = serializers.DictField(help_text="The evidence: the entry matched, the names compared, the score.")


class CaseDetailSerializer(CaseSerializer):
    customer_profile = CustomerProfileSerializer(read_only=True)
    alerts = AlertSerializer(many=True, read_only=True)
    payments = CasePaymentSerializer(many=True, read_only=True)
    screening_evidence = ScreeningEvidenceSerializer(many=True, read_only=True)
    notes = NoteSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True,
                                       help_text="Only for who may work the case (else empty).")
    history = HistorySerializer(many=True, read_only=True)
    report = ReportSummarySerializer(read_only=True, allow_null=True)
    available_transitions = TransitionOptionSerializer(many=True, read_only=True)
    may_work = serializers.BooleanField(read_only=True)
    may_decide = serializers.BooleanField(read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "customer_profile", "alerts", "payments", "screening_evidence",
                  "notes", "attachments", "history", "report", "available_transitions", "may_work", "may_decide"]


class DecideSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=[("clear", "Clear (false positive)"), ("confirm", "Confirm")])
    note = serializers.CharField(max_length=5000, allow_blank=True,
                                 help_text="Why: required (`reason_required` when blank).")


class TransitionSerializer(StrictInputSerializer):
    # The actions of the transition table (compliance/cases/transitions.py).
    action = serializers.ChoiceField(choices=list(transitions.API_ACTIONS))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="Required to close.")


class AssignSerializer(StrictInputSerializer):
    assignee = serializers.IntegerField(min_value=1, max_value=MAX_ID, allow_null=True,
                                        help_text="User id; null unassigns. A reviewer may only claim an unassigned "
                                        "case (their own id).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class NoteInputSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=20000, allow_blank=True)


class AttachmentUploadSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="PDF, PNG, JPEG, TXT or CSV, at most 20 MB.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ReportFileSerializer(StrictInputSerializer):
    narrative = serializers.CharField(max_length=50000, allow_blank=True,
                                      help_text="Why the activity is suspicious: required.")
