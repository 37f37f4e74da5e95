"""Serializers of the settlement API (read-only). Amounts are decimal strings, as the model holds them."""

from __future__ import annotations

from rest_framework import serializers

from core_banking.ledger.api.serializers import AmountField
from core_banking.settlement.models import Batch, BatchItem, BatchStatusChange, SettlementFile


class BatchItemSerializer(serializers.ModelSerializer):
    amount = AmountField(exponent_source="currency.exponent")

    class Meta:
        model = BatchItem
        fields = ["id", "payment", "suspense", "state", "amount", "currency", "instruction_id", "end_to_end_id",
                  "creditor_iban", "creditor_name", "creditor_bic", "remittance_info", "reason_code", "reason",
                  "response_file"]


class SettlementFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = SettlementFile
        fields = ["id", "kind", "direction", "batch", "name", "message_id", "size", "sha256", "summary",
                  "created_at"]


class BatchStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = BatchStatusChange
        fields = ["from_status", "to_status", "reason", "actor", "at"]


class BatchSerializer(serializers.ModelSerializer):
    total_amount = AmountField(exponent_source="currency.exponent")

    class Meta:
        model = Batch
        fields = ["id", "rail", "currency", "business_date", "cutoff_at", "status", "status_reason", "message_id",
                  "item_count", "total_amount", "created_at", "closed_at", "sent_at", "finished_at"]


class BatchDetailSerializer(BatchSerializer):
    items = BatchItemSerializer(many=True, read_only=True)
    files = SettlementFileSerializer(many=True, read_only=True)
    history = BatchStatusChangeSerializer(many=True, read_only=True)

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "items", "files", "history"]


class BatchFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Batch.Status.choices, required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
