from rest_framework import serializers

from ..catalogue import EVENT_TYPES
from ..models import Event


class EventSerializer(serializers.ModelSerializer):
    cursor = serializers.SerializerMethodField(help_text="Pass as `after` to read on from this event.")
    payload = serializers.DictField(help_text="The members of the event's type (docs/events.md), version `version`.")

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
