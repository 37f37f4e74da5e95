from __future__ import annotations

from rest_framework import serializers

from backoffice.tickets.models import Priority, Ticket, TicketMessage, TicketStatusChange
from core_banking.common.api.strict import StrictInputSerializer

MAX_ID = 2**63 - 1  # ids are bigint: anything larger is a validation error, not a database error


class TicketFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.CharField(required=False, max_length=32, help_text="Category code.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    payment = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    unassigned = serializers.BooleanField(required=False, allow_null=True, default=None)
    breached = serializers.BooleanField(required=False, allow_null=True, default=None,
                                        help_text="Response or resolution SLA breached.")


class TicketQueueFilterSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class TicketCreateSerializer(StrictInputSerializer):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    category = serializers.CharField(max_length=32, help_text="Category code.")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, allow_null=True, default=None)
    payment = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, allow_null=True, default=None)
    journal_entry = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, allow_null=True,
                                             default=None)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, allow_null=True, default=None)

    def to_service(self) -> dict:
        data = self.validated_data
        return {"customer_id": data["customer"], "category_code": data["category"], "priority": data["priority"],
                "subject": data["subject"], "description": data["description"], "account_id": data["account"],
                "payment_id": data["payment"], "journal_entry_id": data["journal_entry"], "team_id": data["team"]}


class TicketAssignSerializer(StrictInputSerializer):
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, allow_null=True,
                                        help_text="User id; null unassigns; leave out to keep the assignee.")
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, allow_null=True,
                                    help_text="Team id; null clears the team; leave out to keep it.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs):
        if "assignee" not in attrs and "team" not in attrs:
            raise serializers.ValidationError("give an assignee, a team or both")
        return attrs

    def to_service(self) -> dict:
        data = self.validated_data
        out = {"reason": data["reason"]}
        if "assignee" in data:
            out["assignee_id"] = data["assignee"]
        if "team" in data:
            out["team_id"] = data["team"]
        return out


class TicketReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="Required to reopen, and to close a ticket that was not resolved.")


class TicketMessageInputSerializer(StrictInputSerializer):
    body = serializers.CharField(max_length=20000)
    visibility = serializers.ChoiceField(choices=TicketMessage.Visibility.choices)


class TicketMessageOutputSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "author", "visibility", "body", "created_at"]


class TicketHistoryOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TicketStatusChange
        fields = ["id", "action", "from_status", "to_status", "reason", "actor", "at"]


class TicketTransitionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    reason_required = serializers.BooleanField()


class TicketOutputSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = ["id", "number", "subject", "category", "priority", "status", "customer", "customer_number",
                  "account", "payment", "journal_entry", "assignee", "team", "response_due_at", "resolution_due_at",
                  "first_response_at", "resolved_at", "closed_at", "response_breached", "resolution_breached",
                  "escalation_level", "created_at", "updated_at"]


class TicketDetailSerializer(TicketOutputSerializer):
    messages = TicketMessageOutputSerializer(many=True, help_text="Internal notes only for tickets.view_internal_note.")
    history = TicketHistoryOutputSerializer(many=True)
    available_transitions = TicketTransitionSerializer(many=True, help_text="What the caller may fire now.")

    class Meta(TicketOutputSerializer.Meta):
        fields = [*TicketOutputSerializer.Meta.fields, "description", "status_reason", "messages", "history",
                  "available_transitions"]
