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

_READERS: dict[tuple, tuple[list[str], list]] = {}


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
        reader = _READERS[key] = (names, converters)
    names, converters = reader
    converted = []
    for value, (col, functions) in zip(values, converters, strict=True):
        for convert in functions:
            value = convert(value, col, conn)
        converted.append(value)
    return model.from_db(conn.alias, names, converted)
