"""Serializers of the end-of-day API.

Each status choice set appears in exactly one component (``EodRun``, ``EodStep``, ``EodChunk``), so
drf-spectacular names the enums after them (``EodRunStatusEnum``, ``EodStepStatusEnum``,
``EodChunkStatusEnum``) with no ENUM_NAME_OVERRIDES entry: the run list, the run detail and the
start answer share the one ``EodRun`` shape for that reason.
"""

from __future__ import annotations

import keyword

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core_banking.common.api.strict import StrictInputSerializer
from core_banking.eod.models import EodChunk, EodRun, EodRunStatusChange, EodStepRun


class EodStepSerializer(serializers.ModelSerializer):
    seconds = serializers.FloatField(read_only=True, allow_null=True,
                                     help_text="finished_at - started_at; null while the step runs.")

    class Meta:
        model = EodStepRun
        fields = ["position", "name", "label", "status", "population", "chunk_size", "chunks_total", "chunks_done",
                  "chunks_failed", "processed", "started_at", "finished_at", "seconds"]


class EodRunStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EodRunStatusChange
        fields = ["from_status", "to_status", "reason", "actor", "at"]


class EodRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.IntegerField(source="requested_by_id", allow_null=True,
                                            help_text="The user who started it; null for the beat schedule.")
    steps_total = serializers.SerializerMethodField()
    steps_completed = serializers.SerializerMethodField()
    steps = EodStepSerializer(many=True, read_only=True)
    history = EodRunStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = EodRun
        fields = ["business_date", "next_business_date", "status", "current_step", "error", "attempts",
                  "requested_by", "started_at", "finished_at", "steps_total", "steps_completed", "steps", "history"]

    def get_steps_total(self, run: EodRun) -> int:
        return len(run.steps.all())

    def get_steps_completed(self, run: EodRun) -> int:
        return sum(1 for step in run.steps.all() if step.status == EodStepRun.Status.COMPLETED)


class EodRunFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EodRun.Status.choices, required=False)


class EodStartInputSerializer(StrictInputSerializer):
    business_date = serializers.DateField(
        help_text="The business date to close (YYYY-MM-DD): the open one starts its end of day; a date whose run "
        "failed or is still running is re-run. Required, so that a retried request never closes the next date.")


class EodChunkSerializer(serializers.ModelSerializer):
    step = serializers.CharField(source="step.name", help_text="The step's name.")

    class Meta:
        model = EodChunk
        fields = ["id", "step", "index", "first_id", "last_id", "size", "status", "attempts", "processed", "error",
                  "worker", "started_at", "finished_at"]


class EodChunkFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=EodChunk.Status.choices, required=False)
    step = serializers.CharField(max_length=64, required=False, help_text="A step's name, e.g. interest.accrue.")


class KeywordNamesMixin:
    """`from` is a Python keyword: a field declared as ``from_`` goes by the name clients use,
    ``from`` (in the body, the validated data and the schema alike)."""

    def get_fields(self):
        return {name.removesuffix("_") if keyword.iskeyword(name.removesuffix("_")) else name: field
                for name, field in super().get_fields().items()}


class CalendarFilterSerializer(KeywordNamesMixin, serializers.Serializer):
    """The range of dates (both included; at most 366 days)."""

    from_ = serializers.DateField(required=False, help_text="Default: the open business date.")
    to = serializers.DateField(required=False, help_text="Default: 31 days after `from`.")


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField(help_text="ISO weekday: 1 Monday .. 7 Sunday.")
    business_day = serializers.BooleanField()
    weekend = serializers.BooleanField()
    holiday = serializers.BooleanField(help_text="A holiday of BANK_HOLIDAYS or BANK_EXTRA_HOLIDAYS.")
    eod_status = serializers.CharField(allow_null=True,
                                       help_text="The status of the date's end-of-day run (running, completed, "
                                       "failed); null when it has none.")


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "18:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day as ``HH:MM``. Not OpenAPI's ``format: time``, which is RFC 3339's full time
    with seconds and a UTC offset (``18:00:00+01:00``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class EodCalendarSerializer(KeywordNamesMixin, serializers.Serializer):
    """The open business date and its cut-off, and the bank calendar over a range."""

    open_business_date = serializers.DateField()
    cutoff = HourMinuteField(help_text="BANK_CUTOFF, in the bank's time zone.")
    cutoff_at = serializers.DateTimeField(help_text="The open business date's cut-off instant.")
    past_cutoff = serializers.BooleanField(help_text="The cut-off has passed: the end of day is due.")
    next_business_date = serializers.DateField(help_text="What the open date's end of day will open.")
    from_ = serializers.DateField(source="date_from")
    to = serializers.DateField(source="date_to")
    days = CalendarDaySerializer(many=True)
