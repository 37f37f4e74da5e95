"""``FieldsBuiltOnce``: fields built once per class, each instance still with fields of its own."""

import pytest
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


class PlainFlat(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "reference", "amount", "currency", "status", "kind", "created_at", "business_date"]


class OnceFlat(OutputModelSerializer):
    class Meta(PlainFlat.Meta):
        pass


def test_instances_render_as_drf_renders_and_the_fields_built_once_stay_unbound():
    import datetime as dt
    from decimal import Decimal

    payments = [Payment(pk=i, reference=f"PAY{i}", amount=Decimal(i) / 100, currency_id="EUR", kind="internal_transfer",
                        created_at=dt.datetime(2026, 1, i, tzinfo=dt.UTC), business_date=dt.date(2026, 1, i))
                for i in range(1, 6)]
    for payment in payments:
        assert OnceFlat(payment).data == PlainFlat(payment).data
    assert dict(OnceFlat(payments, many=True).data[0]) == dict(PlainFlat(payments, many=True).data[0])
    for f in OnceFlat._fields_built.values():  # the class's copies are copied, never bound themselves
        assert f.field_name is None and getattr(f, "parent", None) is None


class OnceChange(OutputModelSerializer):
    class Meta(PlainChange.Meta):
        pass


class OnceWithOnceChanges(OutputModelSerializer):
    status_changes = OnceChange(many=True, read_only=True)

    class Meta(Plain.Meta):
        pass


def test_a_list_of_a_serializer_built_once_gets_a_child_of_its_own_bound_to_it():
    first, second = OnceWithOnceChanges(), OnceWithOnceChanges()
    lists = first.fields["status_changes"], second.fields["status_changes"]
    assert lists[0] is not lists[1] and lists[0].child is not lists[1].child
    for each, owner in zip(lists, (first, second), strict=True):
        assert each.child.parent is each and each.parent is owner
        assert each.child.root is owner  # (the way to the context)
    assert _shape(lists[0].child.fields) == _shape(PlainChange().fields)
    built = OnceWithOnceChanges._fields_built["status_changes"]
    assert "fields" not in built.child.__dict__  # the class's own is never built, bound or shared


class CustomBind(serializers.CharField):
    """A field doing more in ``bind`` than DRF's: bound again for every instance."""

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.bound_to = parent


class PlainRich(serializers.ModelSerializer):
    label_of = serializers.SerializerMethodField()
    ref = serializers.CharField(source="reference")
    debtor_currency = serializers.CharField(source="currency_id")
    tag = CustomBind(source="kind")
    status_changes = PlainChange(many=True, read_only=True)  # a nested serializer not built once

    class Meta:
        model = Payment
        fields = ["id", "label_of", "ref", "debtor_currency", "tag", "amount", "status_changes"]

    def get_label_of(self, payment) -> str:
        return f"{self.context.get('prefix', '')}{payment.reference}"


class OnceRich(OutputModelSerializer):
    label_of = serializers.SerializerMethodField()
    ref = serializers.CharField(source="reference")
    debtor_currency = serializers.CharField(source="currency_id")
    tag = CustomBind(source="kind")
    status_changes = PlainChange(many=True, read_only=True)

    class Meta(PlainRich.Meta):
        pass

    def get_label_of(self, payment) -> str:
        return f"{self.context.get('prefix', '')}{payment.reference}"


@pytest.mark.django_db  # (the nested list reads each payment's history: none)
def test_fields_bound_once_per_class_render_as_drf_binds_them_for_each_instance():
    from decimal import Decimal

    payments = [Payment(pk=i, reference=f"PAY{i}", amount=Decimal(i), currency_id="EUR", kind="internal_transfer")
                for i in range(1, 4)]
    for payment, prefix in zip(payments, ("a:", "b:", "c:"), strict=True):
        context = {"prefix": prefix}
        assert OnceRich(payment, context=context).data == PlainRich(payment, context=context).data
    first, second = OnceRich(context={"prefix": "x"}), OnceRich()
    drf = PlainRich().fields
    for name, field in first.fields.items():
        assert field.parent is first and second.fields[name].parent is second
        assert field is not OnceRich._fields_bound[name] and field is not second.fields[name]
        assert (field.field_name, field.source, field.source_attrs, field.label) == (
            drf[name].field_name, drf[name].source, drf[name].source_attrs, drf[name].label)
    assert first.fields["tag"].bound_to is first and second.fields["tag"].bound_to is second
    assert OnceRich._fields_bound["tag"] is None and OnceRich._fields_bound["status_changes"] is None
    assert first.fields["label_of"].to_representation(Payment(reference="R")) == "xR"
    for field in OnceRich._fields_bound.values():  # the class's bound copies belong to no instance
        assert field is None or field.parent is None
