from django.contrib.auth import get_user_model
from rest_framework import serializers

from core_banking.common.api.strict import StrictInputSerializer
from reconciliation.models import (
    Break,
    BreakHistory,
    ExternalAccount,
    Format,
    Match,
    SafeguardingCheck,
    Statement,
    StatementLine,
)
from reconciliation.selectors import AGE_BUCKETS, age_bucket


class ExternalAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalAccount
        fields = ["id", "name", "bank_bic", "account_identifier", "currency", "purpose", "ledger_account",
                  "matching_config", "csv_mapping", "is_active"]


class StatementSerializer(serializers.ModelSerializer):
    file_sha256 = serializers.CharField(source="file.sha256")

    class Meta:
        model = Statement
        fields = ["id", "external_account", "format", "statement_id", "sequence", "period_from", "period_to",
                  "currency", "opening_balance", "closing_balance", "computed_closing", "balanced", "line_count",
                  "rejected_count", "error_report", "file", "file_sha256", "imported_by", "imported_at"]


class StatementImportSerializer(serializers.Serializer):
    """What an upload imported."""

    file = serializers.IntegerField(help_text="The stored statement file's id.")
    lines = serializers.IntegerField(help_text="Lines imported.")
    rejected = serializers.IntegerField(help_text="Lines refused; `errors` says why.")
    errors = serializers.ListField(child=serializers.DictField(), help_text="The refused lines and why.")
    matching = serializers.ListField(child=serializers.DictField(),
                                     help_text="What automatic matching did, per external account.")
    statements = StatementSerializer(many=True)


class StatementUploadSerializer(StrictInputSerializer):
    external_account = serializers.PrimaryKeyRelatedField(queryset=ExternalAccount.objects.filter(is_active=True))
    file = serializers.FileField(max_length=255)
    format = serializers.ChoiceField(choices=Format.choices, required=False)


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementLine
        fields = ["id", "statement", "position", "booking_date", "value_date", "amount", "currency", "reference",
                  "bank_reference", "counterparty_name", "counterparty_iban", "description", "details", "status"]


class LineFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["unmatched", "suggested", "matched"], required=False)


class MatchSerializer(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()
    postings = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = ["id", "external_account", "rule", "state", "lines", "postings", "matched_by", "matched_at", "note",
                  "unmatched_by", "unmatched_at", "unmatch_reason"]

    def get_lines(self, obj) -> list[int]:
        return [link.line_id for link in obj.line_links.all()]

    def get_postings(self, obj) -> list[int]:
        return [link.posting_id for link in obj.posting_links.all()]


class MatchFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["suggested", "matched", "unmatched"], required=False)
    external_account = serializers.IntegerField(required=False)


class MatchInputSerializer(StrictInputSerializer):
    line_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    posting_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReconciliationReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)


class BreakSerializer(serializers.ModelSerializer):
    age_days = serializers.SerializerMethodField()
    age_bucket = serializers.SerializerMethodField()

    class Meta:
        model = Break
        fields = ["id", "external_account", "line", "posting", "amount", "item_date", "age_days", "age_bucket",
                  "status", "root_cause", "owner", "note", "approval_request_id", "adjustment_entry_id", "created_at",
                  "resolved_at"]

    def get_age_days(self, obj) -> int:
        from django.utils import timezone

        return (timezone.localdate() - obj.item_date).days

    def get_age_bucket(self, obj) -> str:
        return age_bucket(self.get_age_days(obj))


class BreakFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Break.Status.choices, required=False)
    external_account = serializers.IntegerField(required=False)
    root_cause = serializers.ChoiceField(
        choices=[("unknown", "Not yet known"), *((c, label) for c, label in Break.RootCause.choices if c)],
        required=False, help_text="A root-cause code; `unknown` for breaks without one.")
    owner = serializers.IntegerField(required=False, help_text="The owner's user id.")
    age = serializers.ChoiceField(choices=[(code, label) for code, label, *_ in AGE_BUCKETS], required=False,
                                  help_text="Age bucket (days since the item's value date).")


class ReconciliationBreakHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = BreakHistory
        fields = ["from_status", "to_status", "reason", "actor", "at"]


class ReconciliationBreakDetailSerializer(BreakSerializer):
    history = ReconciliationBreakHistorySerializer(many=True, read_only=True)

    class Meta(BreakSerializer.Meta):
        fields = [*BreakSerializer.Meta.fields, "history"]


class ReconciliationBreakAssignSerializer(StrictInputSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True), required=False,
        help_text="The new owner (a member of staff who may work breaks); absent: unchanged.")
    root_cause = serializers.ChoiceField(choices=Break.RootCause.choices, required=False, allow_blank=True,
                                         help_text="Absent: unchanged; blank: not yet known.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class ReconciliationBreakNoteSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReconciliationAgeingQuerySerializer(serializers.Serializer):
    external_account = serializers.IntegerField(required=False)
    include_closed = serializers.BooleanField(required=False, default=False,
                                              help_text="Also resolved and written-off breaks.")


class ReconciliationAgeingRowSerializer(serializers.Serializer):
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Break.Status.choices)
    bucket = serializers.ChoiceField(choices=[(code, label) for code, label, *_ in AGE_BUCKETS])
    count = serializers.IntegerField()
    amount = serializers.CharField(help_text="Sum of the absolute amounts, a decimal string (`\"120.50\"`).")
    net = serializers.CharField(help_text="Signed sum, a decimal string.")


class ReconciliationAgeingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    buckets = serializers.ListField(child=serializers.CharField())
    rows = ReconciliationAgeingRowSerializer(many=True)


class BreakResolveSerializer(StrictInputSerializer):
    contra_account_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)


class ReconciliationSafeguardingFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    currency = serializers.CharField(required=False, max_length=12)
    outcome = serializers.ChoiceField(choices=SafeguardingCheck.Outcome.choices, required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": "must not be before date_from"})
        return attrs


class SafeguardingSerializer(serializers.ModelSerializer):
    class Meta:
        model = SafeguardingCheck
        fields = ["id", "date", "currency", "client_money", "safeguarded", "difference", "outcome", "details"]
