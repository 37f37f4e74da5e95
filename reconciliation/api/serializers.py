from rest_framework import serializers

from reconciliation.models import Break, ExternalAccount, Format, Match, SafeguardingCheck, Statement, StatementLine


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


class StatementUploadSerializer(serializers.Serializer):
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


class MatchInputSerializer(serializers.Serializer):
    line_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    posting_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReconciliationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class BreakSerializer(serializers.ModelSerializer):
    age_days = serializers.SerializerMethodField()

    class Meta:
        model = Break
        fields = ["id", "external_account", "line", "posting", "amount", "item_date", "age_days", "status",
                  "root_cause", "owner", "note", "approval_request_id", "adjustment_entry_id", "created_at",
                  "resolved_at"]

    def get_age_days(self, obj) -> int:
        from django.utils import timezone

        return (timezone.localdate() - obj.item_date).days


class BreakFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Break.Status.choices, required=False)
    external_account = serializers.IntegerField(required=False)


class BreakResolveSerializer(serializers.Serializer):
    contra_account_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)


class SafeguardingSerializer(serializers.ModelSerializer):
    class Meta:
        model = SafeguardingCheck
        fields = ["id", "date", "currency", "client_money", "safeguarded", "difference", "outcome", "details"]
