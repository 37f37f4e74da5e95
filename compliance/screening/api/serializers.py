"""Serializers of the screening API."""

from __future__ import annotations

from rest_framework import serializers

from compliance.screening import loader
from compliance.screening.models import ListVersion, ScreeningHit, WatchList
from core_banking.common.api.strict import StrictInputSerializer


class WatchListSerializer(serializers.ModelSerializer):
    active_version = serializers.SerializerMethodField()

    class Meta:
        model = WatchList
        fields = ["id", "code", "name", "kind", "source", "is_active", "active_version", "created_at"]

    def get_active_version(self, obj) -> int | None:
        return next((v.pk for v in obj.versions.all() if v.is_active), None)


class RejectedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField()


class ListVersionSerializer(serializers.ModelSerializer):
    list = serializers.CharField(source="list.code")
    loaded_by = serializers.CharField(source="loaded_by.username", allow_null=True, default=None)
    rejected = RejectedRowSerializer(many=True)

    class Meta:
        model = ListVersion
        fields = ["id", "list", "loaded_at", "file_name", "format", "sha256", "entry_count", "rejected_count",
                  "rejected", "is_active", "loaded_by"]


class ListUploadSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="The list file (at most 200 MB).")
    format = serializers.ChoiceField(choices=list(loader.FORMATS), default="opensanctions-csv")


class ScreenInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=300)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True, default="")
    min_score = serializers.IntegerField(min_value=0, max_value=100, required=False, default=None, allow_null=True,
                                         help_text="Default: the possible-match threshold.")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=10)


class CandidateSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    list = serializers.CharField()
    list_kind = serializers.CharField()
    version = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    schema = serializers.CharField()
    score = serializers.IntegerField()
    name_score = serializers.FloatField()
    matched_name = serializers.CharField()
    outcome = serializers.CharField()
    birth_dates = serializers.ListField(child=serializers.CharField())
    countries = serializers.ListField(child=serializers.CharField())
    programs = serializers.ListField(child=serializers.CharField())
    evidence = serializers.ListField(child=serializers.CharField())


class ScreenOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    normalised = serializers.CharField()
    outcome = serializers.CharField(help_text="clear, possible_match or match.")
    candidates = CandidateSerializer(many=True)


class HitFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ScreeningHit.Status.choices, required=False)
    context = serializers.ChoiceField(choices=ScreeningHit.Context.choices, required=False)
    customer = serializers.IntegerField(min_value=1, required=False)
    list = serializers.CharField(max_length=32, required=False)


class ScreeningHitSerializer(serializers.ModelSerializer):
    list = serializers.CharField(source="list.code")
    entry_name = serializers.CharField(source="entry.name")
    version = serializers.IntegerField(source="entry.version_id")
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    payment = serializers.IntegerField(source="payment_id", allow_null=True)
    alert = serializers.IntegerField(source="alert_id", allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = ScreeningHit
        fields = ["id", "subject_reference", "subject_name", "context", "customer", "payment", "list", "external_id",
                  "entry_name", "version", "score", "outcome", "evidence", "alert", "status", "decided_by",
                  "decided_at", "decision_note", "created_at"]


class HitDecideSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=[("cleared", "Cleared (false positive)"), ("confirmed", "Confirmed")])
    note = serializers.CharField(max_length=2000)
