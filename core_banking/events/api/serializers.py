from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..catalogue import EVENT_TYPES, payload_schema
from ..models import Event


# anyOf, not oneOf: the payment types share their members, so a payload fits each of their schemas.
@extend_schema_field({"anyOf": [payload_schema(kind) for kind in EVENT_TYPES.values()]})
class PayloadField(serializers.DictField):
    """An event's payload: one schema per event type of the catalogue (``catalogue.py``), the one
    whose title is the event's ``type`` and ``version``."""


class EventSerializer(serializers.ModelSerializer):
    cursor = serializers.SerializerMethodField(help_text="Pass as `after` to read on from this event.")
    payload = PayloadField(help_text="The members of the event's type (docs/events.md), version `version`: "
                           "the schema titled with the type.")

    class Meta:
        model = Event
        fields = ["id", "type", "version", "aggregate_type", "aggregate_id", "occurred_at", "payload", "cursor"]
        read_only_fields = fields

    def get_cursor(self, event: Event) -> str:
        return f"{event.txid or 0}.{event.pk}"


class EventFeedSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next = serializers.CharField(help_text="The cursor after the last event returned (the `after` given when none "
                                 "was returned): poll again with it.")


class EventFeedFilterSerializer(serializers.Serializer):
    after = serializers.CharField(required=False, default="0.0", max_length=40,
                                  help_text='The cursor of the last event read ("<txid>.<id>"); "0.0" or absent: '
                                  "from the beginning.")
    type = serializers.MultipleChoiceField(choices=sorted(EVENT_TYPES), required=False,
                                           help_text="Only these event types (repeat the parameter).")
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=1000)
