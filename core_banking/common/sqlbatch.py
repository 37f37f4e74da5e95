"""Several SQL statements in one round trip: ``Batch``.

A round trip to PostgreSQL costs more than most statements of the payment path take to run, so
the services that care about it (the payment path) collect the statements of one step and send
them together: on PostgreSQL in one pipeline (libpq's pipeline mode: every statement is sent,
then one sync; a transaction's BEGIN not sent yet goes first; each statement is bound on the
server from its own parameters and prepared once per session, so PostgreSQL neither parses nor
plans it again; each keeps its own snapshot and its own result), one ``execute`` each elsewhere
(SQLite, the embedded database of ``make run``). ``fetch`` runs one statement the same way.

    batch = Batch()
    found = batch.add("SELECT id FROM payments_payment WHERE idempotency_key = %s", [key])
    batch.insert([PaymentStatusChange(...), PaymentStatusChange(...)])  # ORM-compiled INSERT
    batch.run()
    found.rows  # [(7,)]

A failing statement fails the batch with its error, raised as Django's database errors are (the
caller's transaction then rolls back); the statements after it do not run. ``Statement.rows``
is None for a statement that returns no rows (an INSERT without RETURNING).

A batch may also leave in parts: inside ``with batch.streaming():``, ``batch.send()`` sends the
statements added so far (PostgreSQL starts on them at once, while the caller adds the next) and
``run()`` sends the rest with the sync and reads every result; in between, the ORM is refused the
connection, and an error that keeps ``run()`` from being reached ends the pipeline on the way out
of ``streaming()``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.sql.subqueries import InsertQuery
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.generators import fetch_many, pipeline_communicate
from psycopg.pq import ExecStatus

_INSERT_SQL: dict[tuple, str] = {}
_INSERT_FIELDS: dict[tuple, list] = {}


def prepared_statements_enabled() -> bool:
    """False behind a transaction-mode connection pooler (PgBouncer), whose shared sessions cannot
    keep a prepared statement: ``LEDGER_PREPARED_STATEMENTS = False``."""
    return bool(getattr(settings, "LEDGER_PREPARED_STATEMENTS", True))


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple] | None:
    """Run one statement as a batch's statements run (bound on the server and prepared, on
    PostgreSQL); its rows, or None when it returns none."""
    batch = Batch()
    statement = batch.add(sql, params)
    batch.run()
    return statement.rows


# --- PostgreSQL: one pipeline, bound on the server, prepared once per session --------------------

_NUMBERED: dict[str, bytes] = {}
_PLACEHOLDERS = re.compile(r"%%|%s")
#: Per psycopg connection: {(SQL, parameter types): name of the statement prepared for them}, the
#: numbers of the names, and the connection's transformer (psycopg's adaptation context: it keeps
#: the dumper and loader it found for each type, so the next batch does not look them up again).
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _numbered(sql: str) -> bytes:
    """``sql`` with its ``%s`` placeholders numbered (``$1``, ``$2``...) as the server wants them."""
    numbered = _NUMBERED.get(sql)
    if numbered is None:
        count = 0

        def number(match: re.Match) -> str:
            nonlocal count
            if match.group() == "%%":
                return "%"
            count += 1
            return f"${count}"

        numbered = _NUMBERED[sql] = _PLACEHOLDERS.sub(number, sql).encode()
    return numbered


_INT_ARRAYS = ((-(2**15), 2**15 - 1, 1005), (-(2**31), 2**31 - 1, 1007), (-(2**63), 2**63 - 1, 1016))
_NUMERIC_ARRAY, _DATE_ARRAY, _UNKNOWN = 1231, 1182, 0


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_literal(values: list) -> tuple[bytes, int] | None:
    """A list of ints, Decimals, strings or dates (None for NULL) as PostgreSQL's array text and
    the type psycopg would give it (the smallest integer type that holds every value, numeric,
    unknown for strings, date), or None for any other list (psycopg adapts it). psycopg's list
    adapter is written in Python and looks every element's type up; the payment path sends some
    thirty arrays, and this takes a third to a half of its time per array (1.4-3.5 µs against
    4.1-7.4 µs in a micro-benchmark of two-element lists)."""
    kind = None
    for value in values:
        if value is not None:
            kind = type(value)
            break
    if kind is None:
        return None
    if kind is int:
        present = [v for v in values if v is not None]
        if any(type(v) is not int for v in present):
            return None
        low, high = min(present), max(present)
        oid = next((o for lo, hi, o in _INT_ARRAYS if lo <= low and high <= hi), _NUMERIC_ARRAY)
        items = ["NULL" if v is None else str(v) for v in values]
    elif kind is Decimal or kind is dt.date:
        if any(v is not None and type(v) is not kind for v in values):
            return None
        oid = _NUMERIC_ARRAY if kind is Decimal else _DATE_ARRAY
        items = ["NULL" if v is None else str(v) for v in values]
    elif kind is str:
        if any(v is not None and type(v) is not str for v in values):
            return None
        oid = _UNKNOWN
        items = ["NULL" if v is None else _quoted(v) for v in values]
    else:
        return None
    return ("{" + ",".join(items) + "}").encode(), oid


def _dumped(transformer: Transformer, params: list) -> tuple[Sequence, tuple, Sequence]:
    """``params`` adapted for the server: their values, types and formats."""
    arrays = None
    for index, value in enumerate(params):
        if type(value) is list and (literal := _array_literal(value)) is not None:
            if arrays is None:
                arrays, params = {}, list(params)
            arrays[index] = literal
            params[index] = None
    values = transformer.dump_sequence(params, [PyFormat.AUTO] * len(params))
    if arrays is None:
        return values, transformer.types, transformer.formats
    values, types, formats = list(values), list(transformer.types), list(transformer.formats)
    for index, (literal, oid) in arrays.items():
        values[index], types[index], formats[index] = literal, oid, pq.Format.TEXT
    return values, tuple(types), formats


_SEND_AT_ONCE = 60_000  # bytes: under libpq's own flush threshold in pipeline mode (64 KiB)


def _send_all(raw, pgconn, commands: deque, size: int) -> list:
    """Queue every command in libpq's output buffer and send them together; returns the result
    groups already read (none).

    In pipeline mode libpq does not flush before its buffer passes 64 KiB, and the sync (the last
    command) flushes, so a batch leaves in one ``send`` and the server reads it in one ``recv``.
    psycopg's ``pipeline_communicate`` sends one command per wait for the socket: a system call
    on each side, and a server wake-up, per statement (about 22 sends and 25 polls per payment
    against 4 and 4; measured in one process alternating both ways, 2,000 payments each: about
    0.09 ms less CPU per payment here and 0.07 ms less in the server, the same wall time on one
    worker, where the server no longer starts on the first statements while the rest are sent).
    The connection is non-blocking: what the socket cannot take at once stays queued, and libpq
    flushes it while reading the results. A batch larger than ``_SEND_AT_ONCE`` goes through
    ``pipeline_communicate``, which reads results while it writes (the server could otherwise
    block writing results to a client that is still writing)."""
    if size > _SEND_AT_ONCE:
        return raw.wait(pipeline_communicate(pgconn, commands))
    for command in commands:
        command()
    return []


def _pipeline(raw, statements: Sequence[Statement], *, prepare: bool) -> None:
    """Send ``statements`` in libpq's pipeline mode and read every result after one sync
    (``_Pipeline``: all at once)."""
    pipeline = _Pipeline(raw, prepare=prepare)
    pipeline.finish(statements)


class _Pipeline:
    """Statements in libpq's pipeline mode on one psycopg connection: ``send`` sends some at once
    (the server starts on them while the caller builds the next), ``finish`` sends the rest with a
    sync and reads every result; ``abandon`` ends a pipeline whose caller failed before ``finish``.

    Each statement's parameters are adapted by psycopg's (compiled) transformer with the
    connection's adapters, and sent apart from its text (the server binds them, nothing is quoted
    into the SQL); with ``prepare`` a statement is prepared on its first use in the session, under
    a name of ours, and executed by name from then on. The transaction's BEGIN, when psycopg has
    yet to send it, travels in the same pipeline. The first failing statement's error is raised
    (psycopg's exception; the caller maps it to Django's), and the statements after it do not run
    (the server skips them up to the sync). Between ``send`` and ``finish`` the connection holds
    results it has not read: nothing else may use it (``Batch.streaming`` refuses the ORM)."""

    def __init__(self, raw, *, prepare: bool) -> None:
        self.raw, self.pgconn, self.prepare = raw, raw.pgconn, prepare
        session = _PREPARED.get(raw)
        if session is None:
            session = _PREPARED[raw] = ({}, itertools.count(), Transformer(raw))
        self.names, self.numbers, self.transformer = session
        self.pending: dict = {}  # prepared by this pipeline
        self.expected: list = []  # per command with a result: None, a name being prepared, or a Statement
        self.started = False  # in pipeline mode, with commands sent
        self.broken = False  # a send failed part of the way

    def _commands(self, statements: Sequence[Statement]) -> tuple[deque, int, list, dict]:
        """The libpq calls sending ``statements`` (and BEGIN first, if psycopg has yet to send it),
        about how many bytes they send, and what they add to ``expected`` and ``pending`` (recorded
        by the caller once they are sent: a parameter that cannot be adapted raises here, with
        nothing sent)."""
        pgconn, names = self.pgconn, self.names
        pending: dict = {}
        expected: list = []
        commands: deque = deque()
        size = 0
        if (not self.started and not self.raw.autocommit
                and pgconn.transaction_status == pq.TransactionStatus.IDLE):
            commands.append(partial(pgconn.send_query_params, self.raw._get_tx_start_command(), None))
            expected.append(None)
        for statement in statements:
            command = _numbered(statement.sql)
            params = statement.params
            values, types, formats = _dumped(self.transformer, params) if params else (None, (), None)
            size += len(command) + (sum(len(v) for v in values if v is not None) if values else 0)
            if self.prepare:
                key = (command, types)
                name = names.get(key) or self.pending.get(key) or pending.get(key)
                if name is None:
                    name = pending[key] = f"_cb{next(self.numbers)}".encode()
                    commands.append(partial(pgconn.send_prepare, name, command, types))
                    expected.append((key, name))
                commands.append(partial(pgconn.send_query_prepared, name, values, formats))
            else:
                commands.append(partial(pgconn.send_query_params, command, values, types, formats))
            expected.append(statement)
        return commands, size, expected, pending

    def send(self, statements: Sequence[Statement]) -> None:
        """Send ``statements`` now, without a sync: the server runs them as they arrive. Never waits:
        the connection is non-blocking, and what the socket cannot take now stays in libpq's buffer
        and leaves with the next send (``finish`` reads the results while it sends a large rest)."""
        with self.raw.lock:
            commands, _size, expected, pending = self._commands(statements)
            if not self.started:
                self.pgconn.enter_pipeline_mode()
                self.started = True
            self.expected.extend(expected)
            self.pending.update(pending)
            try:
                for command in commands:
                    command()
                self.pgconn.flush()
            except BaseException:
                self.broken = True  # (which of them left is unknown: abandon closes the connection)
                raise

    def finish(self, statements: Sequence[Statement]) -> None:
        """Send ``statements`` and a sync, read every result of the pipeline, and raise the first
        error."""
        raw, pgconn = self.raw, self.pgconn
        try:
            commands, size, expected, pending = self._commands(statements)
        except BaseException:
            self.abandon()  # (what send() sent is still out)
            raise
        with raw.lock:
            commands.append(pgconn.pipeline_sync)
            expected.append(None)
            if not self.started:
                pgconn.enter_pipeline_mode()
                self.started = True
            self.expected.extend(expected)
            self.pending.update(pending)
            try:
                groups = _send_all(raw, pgconn, commands, size)
                while len(groups) < len(self.expected):
                    group = raw.wait(fetch_many(pgconn))
                    if group:
                        groups.append(group)
            finally:
                self._end()
        self._results(groups)

    def abandon(self) -> None:
        """End a pipeline that ``send`` started and ``finish`` never will (its caller failed in
        between): a sync, the results read and dropped; the caller's transaction is rolled back for
        the error that brought it here. If a send itself failed, the connection is closed (what
        the server received is unknown), and Django opens a new one."""
        if not self.started:
            return
        raw, pgconn = self.raw, self.pgconn
        if self.broken:
            self.started = False
            raw.close()
            return
        with raw.lock:
            try:
                pgconn.pipeline_sync()
                groups: list = []
                while len(groups) < len(self.expected) + 1:
                    group = raw.wait(fetch_many(pgconn))
                    if group:
                        groups.append(group)
            finally:
                self._end()

    def _end(self) -> None:
        if self.started:
            self.started = False
            self.pgconn.exit_pipeline_mode()

    def _results(self, groups: list) -> None:
        error = None
        transformer, names = self.transformer, self.names
        for what, group in zip(self.expected, groups, strict=True):
            result = group[-1]
            status = result.status
            if status == ExecStatus.FATAL_ERROR:
                error = error or psycopg.errors.error_from_result(result, encoding=self.raw.info.encoding)
            elif status == ExecStatus.PIPELINE_ABORTED or error is not None:
                continue
            elif isinstance(what, Statement):
                if status == ExecStatus.TUPLES_OK:
                    transformer.set_pgresult(result)
                    what.rows = transformer.load_rows(0, result.ntuples, tuple)
                else:
                    what.rows = None
            elif isinstance(what, tuple):  # a statement prepared: known to the session from now on
                names[what[0]] = what[1]
        if error is not None:
            raise error


def _rows_sql(vendor: str, model, with_pk: bool, count: int) -> str:
    """The INSERT of ``count`` rows: the ORM's single-row statement with its ``VALUES (...)``
    repeated (the ORM's own multi-row INSERT on PostgreSQL binds a column's values as one array,
    which costs the client more than scalars)."""
    single = _INSERT_SQL[(vendor, model, with_pk)]
    if count == 1:
        return single
    key = (vendor, model, with_pk, count)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        head, _, row = single.rpartition(" VALUES ")
        sql = _INSERT_SQL[key] = f"{head} VALUES {', '.join([row] * count)}"
    return sql


def _insert_fields(model, with_pk: bool) -> list:
    key = (model, with_pk)
    fields = _INSERT_FIELDS.get(key)
    if fields is None:
        fields = _INSERT_FIELDS[key] = [f for f in model._meta.concrete_fields
                                        if not f.generated and (with_pk or not f.primary_key)]
    return fields


# --- a row's values, prepared as the ORM prepares them ---------------------------------------------
#
# ``Field.get_db_prep_save`` is generic: for a string in a CharField it goes through three methods
# to return the string. For the field classes below, and a value of the exact type the ORM would
# hand back unchanged (or wrap the same way), the value is prepared here directly; any other value
# (an enum member, a naive datetime, a float...) and any other field class goes through the ORM.
# ``tests/core_banking/common/test_sqlbatch.py`` compares both on every model the payment path
# inserts.

_TEXT_FIELDS = (models.CharField, models.TextField)
_AUTO_FIELDS = (models.AutoField, models.BigAutoField, models.SmallAutoField)
_INTEGER_FIELDS = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
                   models.PositiveBigIntegerField, models.PositiveSmallIntegerField)


def _same(value):
    return value


def _fast_preparation(field, connection) -> tuple[type, Callable] | None:
    """(the value type prepared here, how) for ``field`` on ``connection``, or None."""
    target = field
    while type(target) in (models.ForeignKey, models.OneToOneField):  # prepared as the field it points to
        target = target.target_field
    if type(target).get_db_prep_save is not models.Field.get_db_prep_save:
        return None
    kind = type(target)
    if kind in _TEXT_FIELDS:
        return str, _same
    if connection.vendor != "postgresql":  # the other backends adapt dates, times and numbers their own way
        return None
    if kind in _AUTO_FIELDS:  # a key: the int itself (validate_autopk_value)
        return int, _same
    if kind in _INTEGER_FIELDS:
        wrap = connection.ops.integerfield_type_map.get(target.get_internal_type())  # psycopg's Int2/Int4/Int8
        return (int, wrap) if wrap is not None else None
    if kind is models.BooleanField:
        return bool, _same
    if kind is models.DateField:
        return dt.date, _same
    if kind is models.DecimalField:
        return Decimal, _same  # checked finite below, as to_python does
    if kind is models.DateTimeField:
        return dt.datetime, _same  # checked aware below (a naive one is warned about and made aware)
    return None


def _preparation(model, with_pk: bool, connection) -> list[tuple]:
    """Per field of the INSERT: (field, attname, call pre_save?, fast type, fast preparation)."""
    key = (connection.vendor, model, with_pk, "plan")
    plan = _INSERT_FIELDS.get(key)
    if plan is None:
        plan = []
        for f in _insert_fields(model, with_pk):
            custom_pre_save = type(f).pre_save is not models.Field.pre_save
            fast = _fast_preparation(f, connection)
            plan.append((f, f.attname, custom_pre_save) + (fast or (None, None)))
        _INSERT_FIELDS[key] = plan
    return plan


def _row_params(plan: list[tuple], obj, connection) -> list | None:
    """The INSERT parameters of ``obj``, or None when a value is an expression (compiled by the ORM)."""
    params = []
    append = params.append
    for f, attname, custom_pre_save, fast_type, prepare in plan:
        value = f.pre_save(obj, True) if custom_pre_save else getattr(obj, attname)
        kind = type(value)
        if kind is fast_type:
            if (kind is Decimal and not value.is_finite()) or (kind is dt.datetime and value.tzinfo is None):
                append(f.get_db_prep_save(value, connection=connection))  # refused, or warned about
            else:
                append(prepare(value))
            continue
        if value is None and fast_type is not None:
            append(None)
            continue
        if hasattr(value, "resolve_expression"):
            return None
        append(f.get_db_prep_save(value, connection=connection))
    return params


def _refuse_while_streaming(execute, sql, params, many, context):
    raise RuntimeError("a batch sent in parts (Batch.send) holds this connection until its run(): "
                       "no other statement may use it meanwhile")


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
        self._streaming = False  # inside streaming()
        self._stream: _Pipeline | None = None  # statements sent by send(), results not read yet
        self._refusing = False  # _refuse_while_streaming among the connection's execute wrappers
        self._sent = 0  # how many of the statements send() sent

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
        preparation, ``auto_now_add``), without returning ids: an instance keeps the primary key
        it was given (None if it had none). The rows go in one multi-row statement (``VALUES
        (...), (...)``, its parameters scalars: the server binds and runs one statement where it
        would run one per row); the instances that were given a primary key and those that were
        not go in a statement each.

        The single-row statement's text is compiled by the ORM once per model and column set, then
        reused (and repeated for several rows); each row's values are prepared as the ORM prepares them (``pre_save``,
        ``get_db_prep_save``). A row holding an expression is compiled by the ORM, alone."""
        statements = []
        if not objs:
            return statements
        connection = connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy costs a look-up per use
        model = type(objs[0])
        rows: dict[bool, list] = {}
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            with_pk = obj.pk is not None
            fields = _insert_fields(model, with_pk)
            key = (connection.vendor, model, with_pk)
            if key not in _INSERT_SQL:
                _INSERT_SQL[key] = self._compile(connection, model, fields, obj)[0]
            params = _row_params(_preparation(model, with_pk, connection), obj, connection)
            if params is None:
                statements.append(self.add(*self._compile(connection, model, fields, obj)))
            else:
                rows.setdefault(with_pk, []).append(params)
            self._inserted.append(obj)
        for with_pk, group in rows.items():
            statements.append(self.add(_rows_sql(connection.vendor, model, with_pk, len(group)),
                                       [value for params in group for value in params]))
        return statements

    @contextmanager
    def streaming(self) -> Iterator[Batch]:
        """Where ``send`` may be called: a batch sent in parts and left unfinished by an error
        (``run`` never reached) has its pipeline ended here, its results dropped."""
        self._streaming = True
        try:
            yield self
        finally:
            self._streaming = False
            stream = self._stream
            if stream is not None:  # run() was not reached
                self._stream = None
                self._stop_refusing()
                stream.abandon()

    def send(self) -> None:
        """PostgreSQL: send the statements added so far now, without waiting for them, so that the
        server runs them while the caller adds the next; ``run`` sends the rest and reads every
        result (their rows, errors and ``then`` checks come then, as without ``send``). Only inside
        ``streaming()``; until ``run``, the ORM may not use the connection (it would read this
        batch's results: it is refused with an error). Elsewhere (SQLite) nothing happens here."""
        if not self._streaming:
            raise RuntimeError("Batch.send() is only allowed inside Batch.streaming()")
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql" or len(self.statements) == self._sent:
            return
        if self._stream is None:
            connection.ensure_connection()
            connection.validate_thread_sharing()
            connection.validate_no_broken_transaction()
            self._stream = _Pipeline(connection.connection, prepare=prepared_statements_enabled())
            connection.execute_wrappers.append(_refuse_while_streaming)
            self._refusing = True
        with connection.wrap_database_errors:
            self._stream.send(self.statements[self._sent:])
        self._sent = len(self.statements)

    def _stop_refusing(self) -> None:
        if self._refusing:
            self._refusing = False
            connections[DEFAULT_DB_ALIAS].execute_wrappers.remove(_refuse_while_streaming)

    def _send(self, _sql, _params, _many, _context) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.wrap_database_errors:
            stream = self._stream
            if stream is not None:
                self._stream = None
                stream.finish(self.statements[self._sent:])
            else:
                _pipeline(connection.connection, self.statements, prepare=prepared_statements_enabled())

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
        if connection.vendor == "postgresql":
            self._stop_refusing()
            connection.ensure_connection()
            connection.validate_thread_sharing()
            connection.validate_no_broken_transaction()
            executor = self._send
            for wrapper in reversed(connection.execute_wrappers):
                executor = partial(wrapper, executor)
            sql = "; ".join(s.sql for s in self.statements)
            params = [s.params for s in self.statements] if len(self.statements) > 1 else self.statements[0].params
            started = time.monotonic()
            try:
                executor(sql, params, False, {"connection": connection, "cursor": None})
            finally:
                if connection.queries_logged:
                    connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
        else:
            with connection.cursor() as cursor:
                for statement in self.statements:
                    cursor.execute(statement.sql, statement.params)
                    statement.rows = cursor.fetchall() if cursor.description is not None else None
        for obj in self._inserted:
            obj._state.adding = False
            obj._state.db = connection.alias
        checks = self._then
        self.statements, self._inserted, self._then, self._sent = [], [], [], 0
        for check in checks:
            check()
