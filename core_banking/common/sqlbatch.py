"""Several SQL statements in one round trip: ``Batch``.

A round trip to PostgreSQL costs more than most statements of the payment path take to run, so
the services that care about it (the payment path) collect the statements of one step and send
them together: one multi-statement query on PostgreSQL (psycopg binds the parameters on the
client, so the statements travel as one simple query; each keeps its own snapshot and its own
result), one ``execute`` each elsewhere (SQLite, the embedded database of ``make run``).

    batch = Batch()
    found = batch.add("SELECT id FROM payments_payment WHERE idempotency_key = %s", [key])
    batch.insert([PaymentStatusChange(...), PaymentStatusChange(...)])  # ORM-compiled INSERT
    batch.run()
    found.rows  # [(7,)]

A failing statement fails the whole query with its error (the caller's transaction then rolls
back); the statements after it do not run. ``Statement.rows`` is None for a statement that
returns no rows (an INSERT without RETURNING).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.sql.subqueries import InsertQuery
from psycopg.pq import ExecStatus

_INSERT_SQL: dict[tuple, str] = {}
_INSERT_FIELDS: dict[tuple, list] = {}


def _insert_fields(model, with_pk: bool) -> list:
    key = (model, with_pk)
    fields = _INSERT_FIELDS.get(key)
    if fields is None:
        fields = _INSERT_FIELDS[key] = [f for f in model._meta.concrete_fields
                                        if not f.generated and (with_pk or not f.primary_key)]
    return fields


@dataclass(eq=False)
class Statement:
    sql: str
    params: list = field(default_factory=list)
    rows: list[tuple] | None = None

    def one(self) -> tuple | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None


class Batch:
    """Statements sent together by ``run()``, in the order they were added."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []
        self._inserted: list[models.Model] = []
        self._then: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self.statements)

    def add(self, sql: str, params: Sequence[Any] = ()) -> Statement:
        statement = Statement(sql, list(params))
        self.statements.append(statement)
        return statement

    def absorb(self, other: Batch) -> None:
        """Append ``other``'s statements (and their ``then`` checks) to this batch; ``other`` is
        left empty."""
        self.statements.extend(other.statements)
        self._inserted.extend(other._inserted)
        self._then.extend(other._then)
        other.statements, other._inserted, other._then = [], [], []

    def then(self, check: Callable[[], None]) -> None:
        """Call ``check()`` once the batch ran (to verify a guarded write's rows, say); what it
        raises propagates from ``run``."""
        self._then.append(check)

    def insert(self, objs: Sequence[models.Model]) -> list[Statement]:
        """INSERT ``objs`` (instances of one model) as ``bulk_create`` would write them (field
        preparation, ``auto_now_add``), one single-row statement each (within one round trip,
        one row per statement costs the server little, and binding scalars costs the client
        less than binding the arrays of a multi-row insert), without returning ids: an instance
        keeps the primary key it was given (None if it had none).

        The statement's text is compiled by the ORM once per model and column set, then reused;
        each row's values are prepared as the ORM prepares them (``pre_save``,
        ``get_db_prep_save``). A row holding an expression is compiled by the ORM each time."""
        statements = []
        if not objs:
            return statements
        connection = connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy costs a look-up per use
        model = type(objs[0])
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            with_pk = obj.pk is not None
            fields = _insert_fields(model, with_pk)
            key = (connection.vendor, model, with_pk)
            sql = _INSERT_SQL.get(key)
            if sql is None:
                sql = _INSERT_SQL[key] = self._compile(connection, model, fields, obj)[0]
            params = []
            for f in fields:
                value = f.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):
                    sql, params = self._compile(connection, model, fields, obj)
                    break
                params.append(f.get_db_prep_save(value, connection=connection))
            statements.append(self.add(sql, params))
            self._inserted.append(obj)
        return statements

    @staticmethod
    def _compile(connection, model, fields, obj) -> tuple[str, list]:
        query = InsertQuery(model)
        query.insert_values(fields, [obj], raw=False)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = None
        [(sql, params)] = compiler.as_sql()
        return sql, list(params)

    def run(self) -> None:
        """Send every statement (one round trip on PostgreSQL) and keep each one's rows."""
        if not self.statements:
            return
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(self.statements) > 1:
                raw = cursor.cursor
                # Bound one statement at a time, so psycopg's cache of parsed statements serves
                # each (it parses a long text anew every time); sent as one text, no parameters.
                cursor.execute("; ".join(raw.mogrify(s.sql, s.params) for s in self.statements))
                for index, statement in enumerate(self.statements):
                    if index:
                        raw.nextset()
                    # (the result's status, not ``description``, which builds its columns anew)
                    returned = raw.pgresult is not None and raw.pgresult.status == ExecStatus.TUPLES_OK
                    statement.rows = raw.fetchall() if returned else None
            else:
                for statement in self.statements:
                    cursor.execute(statement.sql, statement.params)
                    statement.rows = cursor.fetchall() if cursor.description is not None else None
        for obj in self._inserted:
            obj._state.adding = False
            obj._state.db = connection.alias
        checks = self._then
        self.statements, self._inserted, self._then = [], [], []
        for check in checks:
            check()
