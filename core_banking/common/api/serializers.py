"""Serializer building blocks shared by the API modules."""

from __future__ import annotations

import copy

from rest_framework import serializers

# (No docstrings on the classes below: drf-spectacular would publish them, inherited, as the
# description of every serializer built on them.)


class FieldsBuiltOnce:
    # A serializer whose fields are built (for a ModelSerializer, from the model) once per class,
    # then copied for each instance. DRF builds them again for every instance (introspecting the
    # model, field by field), which cost a tenth of a payment request's time in the web worker
    # (python -m bench --only h). Each instance gets fields of its own to bind: a list of a
    # serializer that is itself FieldsBuiltOnce is copied with a shallow copy of its child bound to
    # the copy (the child builds its own fields from its class's, as here); another nested
    # serializer is copied as DRF copies declared fields (copy.deepcopy: made again from its
    # arguments, its own fields included); a plain field, never bound itself, is copied shallowly
    # (binding sets the copy's own name, parent and source; what the copies share, their
    # arguments, validators and choices, is only read), at a tenth of the deep copy's cost (the
    # deep copy had become a tenth of the request's time again). Only for serializers whose fields
    # depend neither on the instance nor on its data or context, and that change no field in place.

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built  # on this class only: a subclass builds its own
        return {name: _copied(f) for name, f in built.items()}


def _copied(field):
    """A field of one's own, as cheap as it is safe: a list of a serializer whose fields are built
    once is copied with a copy of its child bound to it; another nested serializer deeply; a plain
    field shallowly (``FieldsBuiltOnce``)."""
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, FieldsBuiltOnce):
        copied = copy.copy(field)
        copied.child = copy.copy(field.child)
        copied.child.__dict__.pop("fields", None)  # (never built on the original; each copy builds its own)
        copied.child.parent = copied  # (its name and source, set when the list bound the original, stay)
        return copied
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    return copy.copy(field)


class OutputModelSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    # A read-only rendering of a model (responses): fields built once per class.
    pass
