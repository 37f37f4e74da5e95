"""Serializer building blocks shared by the API modules."""

from __future__ import annotations

import copy

from django.utils.functional import cached_property
from rest_framework import serializers

# (No docstrings on the classes below: drf-spectacular would publish them, inherited, as the
# description of every serializer built on them.)


class FieldsBuiltOnce:
    # A serializer whose fields are built (for a ModelSerializer, from the model) and bound once
    # per class, then copied for each instance. DRF builds them again for every instance
    # (introspecting the model, field by field), which cost a tenth of a payment request's time in
    # the web worker (python -m bench --only h), and then binds each (its name, label and source
    # path), which with the copying was half of a payment's rendering again. Each instance gets
    # fields of its own: a plain field is a shallow copy of the class's bound one with the
    # instance as its parent (its name, label, source and source path are the ones binding
    # gave; what the copies share, their arguments, validators and choices, is only read); a list
    # of a serializer that is itself FieldsBuiltOnce is copied with a shallow copy of its child
    # bound to the copy (the child builds its own fields from its class's, as here); another
    # nested serializer is copied as DRF copies declared fields (copy.deepcopy: made again from
    # its arguments, its own fields included) and bound. Only for serializers whose fields depend
    # neither on the instance nor on its data or context, that change no field in place, and
    # whose fields do nothing in ``bind`` beyond what DRF's fields do (their name, parent, label,
    # source; checked when the class's fields are bound: a field class with a ``bind`` of its own
    # is bound for every instance as before).

    @cached_property
    def fields(self):
        cls = type(self)
        bound = cls.__dict__.get("_fields_bound")
        if bound is None:
            bound = {}
            for name, field in self.get_fields().items():  # copies of the class's built fields
                if _copied(field) is not None and type(field).bind in _PLAIN_BINDS:
                    field.bind(field_name=name, parent=self)
                    field.parent = None  # (the class's bound copies belong to no instance)
                    bound[name] = field
                else:
                    bound[name] = None  # copied from the built field and bound for every instance
            cls._fields_bound = bound  # on this class only: a subclass binds its own
        built = cls.__dict__["_fields_built"]
        fields = serializers.BindingDict(self)
        own = fields.fields
        for name, template in bound.items():
            if template is None:
                field = _copied(built[name]) or copy.deepcopy(built[name])
                field.bind(field_name=name, parent=self)
            else:
                field = _copied(template)
                field.parent = self
            own[name] = field
        return fields

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built  # on this class only: a subclass builds its own
        return {name: _copied(f) or copy.deepcopy(f) for name, f in built.items()}


# DRF's own ``bind`` methods: setting a field's name, parent, label and source (a
# SerializerMethodField's method name too), all the same for every instance of a serializer class.
_PLAIN_BINDS = frozenset({serializers.Field.bind, serializers.SerializerMethodField.bind})


def _shallow(field):
    """A shallow copy, as ``copy.copy`` makes it, without its generic machinery (a tenth of the
    cost: a payment's rendering copies some forty fields)."""
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    return copied


def _copied(field):
    """A field of one's own, as cheap as it is safe: a list of a serializer whose fields are built
    once is copied with a copy of its child bound to it; a plain field shallowly; None for another
    nested serializer (the caller copies it deeply: ``FieldsBuiltOnce``)."""
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, FieldsBuiltOnce):
        copied = _shallow(field)
        copied.child = _shallow(field.child)
        copied.child.__dict__.pop("fields", None)  # (never built on the original; each copy builds its own)
        copied.child.parent = copied  # (its name and source, set when the list bound the original, stay)
        return copied
    if isinstance(field, serializers.BaseSerializer):
        return None
    return _shallow(field)


class OutputModelSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    # A read-only rendering of a model (responses): fields built once per class.
    pass
