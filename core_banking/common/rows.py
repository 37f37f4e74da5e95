"""Model instances from rows read with raw SQL, as ``select_related`` would build them.

A hot path that reads a row and its related rows in one statement of its own (a batch of the
payment path, the API token look-up) names the tables it joins once:

    TOKEN = Joined(("t", ApiToken), ("c", ApiClient), ("u", User))
    rows = fetch(f"SELECT {TOKEN.columns} FROM ... t JOIN ... c ON ... JOIN ... u ON ... WHERE ...", [...])
    token, client, user = TOKEN.instances(rows[0])

Each instance is made by ``Model.from_db`` from its concrete columns converted as the ORM converts
them (the converters are looked up once per model), without compiling a query each time.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import signals
from django.db.models.base import ModelState

_READERS: dict[tuple, tuple[list[str], list, bool]] = {}


def _plain(model: type[models.Model]) -> bool:
    """Whether ``Model.from_db`` would only set the row's values: the model has no ``__init__`` or
    ``from_db`` of its own, and its fields no descriptor that does more than store a value
    (``DeferredAttribute``, a foreign key's id, django-fsm's state field)."""
    if model.__init__ is not models.Model.__init__ or model.from_db.__func__ is not models.Model.from_db.__func__:
        return False
    for f in model._meta.concrete_fields:
        descriptor = model.__dict__.get(f.attname) or getattr(model, f.attname, None)
        if type(descriptor).__name__ not in _STORING_DESCRIPTORS or getattr(f, "state_proxy", None):
            return False  # (a state proxy would change the instance's class with its state)
    return True


# Descriptors whose ``__set__`` (if any) on a new instance only stores the value in its ``__dict__``.
_STORING_DESCRIPTORS = {"DeferredAttribute", "ForeignKeyDeferredAttribute", "FSMFieldDescriptor"}


class Joined:
    """The concrete columns of several models, each under its table alias, in one select list."""

    def __init__(self, *parts: tuple[str, type[models.Model]]):
        self.parts = parts
        self.widths = [len(model._meta.concrete_fields) for _alias, model in parts]
        self.columns = ", ".join(f'{alias}."{f.column}"' for alias, model in parts
                                 for f in model._meta.concrete_fields)

    def instances(self, row: tuple) -> list[models.Model]:
        """One instance per model, in the order the models were named."""
        conn = connections[DEFAULT_DB_ALIAS]
        out, offset = [], 0
        for (_alias, model), width in zip(self.parts, self.widths, strict=True):
            out.append(from_row(model, row[offset:offset + width], conn))
            offset += width
        return out


def from_row(model: type[models.Model], values: tuple, conn=None) -> models.Model:
    """A model instance from its concrete columns as the database returned them (``conn``: the
    default connection, looked up here if not given)."""
    if conn is None:
        conn = connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy costs a look-up per use
    key = (conn.vendor, model)
    reader = _READERS.get(key)
    if reader is None:
        names, converters = [], []
        for f in model._meta.concrete_fields:
            col = f.get_col(model._meta.db_table)
            names.append(f.attname)
            converters.append((col, (*conn.ops.get_db_converters(col), *col.get_db_converters(conn))))
        reader = _READERS[key] = (names, converters, _plain(model))
    names, converters, plain = reader
    converted = []
    for value, (col, functions) in zip(values, converters, strict=True):
        for convert in functions:
            value = convert(value, col, conn)
        converted.append(value)
    if not plain or signals.pre_init.receivers or signals.post_init.receivers:
        return model.from_db(conn.alias, names, converted)
    # What from_db and __init__ leave, without their argument handling: about a third of the cost
    # of each instance on the payment path (eight per payment), checked against from_db in
    # tests/core_banking/common/test_rows.py.
    obj = models.Model.__new__(model)
    state = obj._state = ModelState()
    state.adding, state.db = False, conn.alias
    obj.__dict__.update(zip(names, converted, strict=True))
    return obj
