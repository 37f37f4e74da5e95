"""``FieldsBuiltOnce``: fields built once per class, each instance still with fields of its own."""

from rest_framework import serializers

from core_banking.common.api.serializers import OutputModelSerializer
from core_banking.payments.models import Payment, PaymentStatusChange


class PlainChange(serializers.ModelSerializer):
    class Meta:
        model = PaymentStatusChange
        fields = ["from_status", "to_status", "at"]


class Plain(serializers.ModelSerializer):
    status_changes = PlainChange(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "reference", "amount", "status", "status_changes"]


class Once(OutputModelSerializer):
    status_changes = PlainChange(many=True, read_only=True)

    class Meta(Plain.Meta):
        pass


def _shape(fields):
    return {name: (type(f).__name__, f.read_only, f.required, getattr(f, "max_length", None))
            for name, f in fields.items()}


def test_the_fields_are_those_drf_builds_and_each_instance_has_its_own():
    first, second = Once(), Once()
    assert _shape(first.fields) == _shape(Plain().fields)
    assert "_fields_built" in Once.__dict__ and "_fields_built" not in OutputModelSerializer.__dict__
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    nested_first, nested_second = first.fields["status_changes"], second.fields["status_changes"]
    assert nested_first.child is not nested_second.child and nested_first.child.parent is nested_first
