"""``Batch``: statements in one round trip, each with its own result; ORM-prepared inserts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.json import Jsonb

from core_banking.audit.models import AuditEvent
from core_banking.common import sqlbatch
from core_banking.common.sqlbatch import Batch, _array_literal, fetch

pytestmark = pytest.mark.django_db


def test_statements_travel_together_and_each_keeps_its_rows():
    batch = Batch()
    one = batch.add("SELECT %s::int + 1", [41])
    nothing = batch.add("CREATE TEMP TABLE batch_probe (x int)")
    rows = batch.add("SELECT x FROM (VALUES (1), (2)) AS t(x) ORDER BY x")
    checked = []
    batch.then(lambda: checked.append(one.one()))
    with CaptureQueriesContext(connection) as queries:
        batch.run()
    assert len(queries.captured_queries) == 1
    assert one.rows == [(42,)] and nothing.rows is None and rows.rows == [(1,), (2,)]
    assert checked == [(42,)]
    assert len(batch) == 0  # a batch runs once


def test_an_insert_is_prepared_as_the_orm_prepares_it():
    events = [AuditEvent(action="batch.test", object_repr=f"row {i}", after={"amount": "1.50", "i": i})
              for i in range(3)]
    batch = Batch()
    batch.insert(events)
    batch.run()
    stored = list(AuditEvent.objects.filter(action="batch.test").order_by("id").values_list("object_repr", "after"))
    assert stored == [(f"row {i}", {"amount": "1.50", "i": i}) for i in range(3)]
    assert all(not e._state.adding for e in events)
    assert AuditEvent.objects.filter(action="batch.test", occurred_at__isnull=True).count() == 0


def test_several_rows_go_in_one_statement_and_rows_given_a_key_in_another():
    keyed_id = AuditEvent.objects.create(action="batch.seed").pk + 1000
    events = [AuditEvent(action="batch.rows", object_repr=f"row {i}", after={"i": i}) for i in range(3)]
    events.insert(1, AuditEvent(pk=keyed_id, action="batch.rows", object_repr="keyed", after={}))
    batch = Batch()
    statements = batch.insert(events)
    assert len(statements) == 2 and len(batch) == 2
    assert statements[0].sql.count("), (") == 2 and "), (" not in statements[1].sql
    batch.run()
    stored = dict(AuditEvent.objects.filter(action="batch.rows").values_list("object_repr", "id"))
    assert set(stored) == {"row 0", "row 1", "row 2", "keyed"} and stored["keyed"] == keyed_id
    # each instance keeps the timestamp that was written, though the statement was compiled after it was set
    written = dict(AuditEvent.objects.filter(action="batch.rows").values_list("object_repr", "occurred_at"))
    assert all(written[e.object_repr] == e.occurred_at for e in events)


def test_a_failing_statement_fails_the_batch_and_the_statements_after_it_do_not_run():
    batch = Batch()
    batch.add("CREATE TEMP TABLE batch_unique (x int PRIMARY KEY)")
    batch.add("INSERT INTO batch_unique VALUES (1)")
    batch.add("INSERT INTO batch_unique VALUES (1)")
    later = batch.add("SELECT 1")
    with pytest.raises(IntegrityError):
        batch.run()
    assert later.rows is None


def _prepared_here(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return cursor.fetchone()[0]


def test_each_statement_is_bound_on_the_server_and_prepared_once_per_session():
    for value in (1, 2, 3):
        batch = Batch()
        doubled = batch.add("SELECT %s::bigint * 2 AS prepared_probe", [value])
        percent = batch.add("SELECT '100%%' AS prepared_probe_percent, %s::text", ["x"])
        batch.run()
        assert doubled.rows == [(value * 2,)] and percent.rows == [("100%", "x")]
    # once, however often it ran; as $1, never with the value quoted into its text
    assert _prepared_here("$1::bigint * 2 AS prepared_probe") == 1
    assert _prepared_here("'100%' AS prepared_probe_percent, $1::text") == 1


def test_without_prepared_statements_nothing_is_prepared(settings):
    settings.LEDGER_PREPARED_STATEMENTS = False
    batch = Batch()
    probe = batch.add("SELECT %s::int AS unprepared_probe", [7])
    batch.add("SELECT 1")
    batch.run()
    assert probe.rows == [(7,)]
    assert _prepared_here("unprepared_probe") == 0


def test_a_statement_prepared_before_a_rollback_still_runs_after_it():
    def run():
        batch = Batch()
        probe = batch.add("SELECT %s::int + 0 AS rollback_probe", [5])
        batch.add("SELECT 1")
        batch.run()
        return probe.rows

    with transaction.atomic():
        assert run() == [(5,)]
        transaction.set_rollback(True)
    assert run() == [(5,)]  # psycopg may forget its own statements on a rollback; ours are still there


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_opens_a_transaction_runs_inside_it():
    """The first statements of a transaction: its BEGIN travels in the batch's pipeline, so the
    batch's writes are the transaction's and roll back with it."""
    with transaction.atomic():
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE  # nothing sent yet
        batch = Batch()
        batch.insert([AuditEvent(action="batch.rolled_back", object_repr="x", after={})])
        batch.add("SELECT 1")
        batch.run()
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
        assert AuditEvent.objects.filter(action="batch.rolled_back").count() == 1
        transaction.set_rollback(True)
    assert not AuditEvent.objects.filter(action="batch.rolled_back").exists()


ARRAYS = [
    [1, 2, None, 32767],
    [-32769, 5],
    [2**31, -1],
    [2**63 - 1, 0],
    [2**64, 1],
    [Decimal("-10.50"), None, Decimal("0.000001"), Decimal("1E+2"), Decimal("NaN")],
    ["EUR", None, "", 'a "quoted" word', "back\\slash", "{braces}, commas", "NULL", "ünïcödé"],
    [dt.date(2026, 12, 7), None],
]


@pytest.mark.parametrize("values", ARRAYS, ids=range(len(ARRAYS)))
def test_arrays_reach_the_server_as_psycopgs_own_adapter_sends_them(values):
    """Lists of ints, Decimals, strings and dates are written as array text by ``_array_literal``
    (psycopg's list adapter is slow); the server must read the same values, with the type
    psycopg would have chosen."""
    raw = connection.cursor().connection  # psycopg's connection, for its own adaptation
    transformer = Transformer(raw)
    transformer.dump_sequence([values], [PyFormat.AUTO])
    literal, oid = _array_literal(values)
    assert oid == transformer.types[0]
    element = {1005: "int2", 1007: "int4", 1016: "int8", 1231: "numeric", 1182: "date", 0: "text"}[oid]
    ours = fetch(f"SELECT %s::{element}[]", [values])[0][0]
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT %s::{element}[]", [values])
        theirs = cursor.fetchone()[0]
    assert [str(v) for v in ours] == [str(v) for v in theirs]  # as text: NaN != NaN
    assert [v for v in ours if v == v] == [v for v in values if v == v]


@pytest.mark.parametrize("values", [[], [None], [True, False], [1, Decimal(1)], [[1], [2]],
                                    [dt.datetime(2026, 12, 7, tzinfo=dt.UTC)]])
def test_other_lists_are_left_to_psycopg(values):
    assert _array_literal(values) is None


# --- a row's values prepared without the ORM's generic path, as the ORM prepares them -------------


def _orm_params(obj, fields):
    """What ``Field.get_db_prep_save`` makes of each field's current value (``pre_save`` already
    ran: an ``auto_now_add`` field holds the time it set)."""
    return [f.get_db_prep_save(getattr(obj, f.attname), connection=connection) for f in fields]


def _same_values(fast, orm):
    """Equal, and of the same type (psycopg picks the parameter's SQL type by it: Int8 is not int)."""
    return len(fast) == len(orm) and not _differences(fast, orm)


def _differences(fast, orm):
    def key(value):  # psycopg's Jsonb wrapper compares by identity: compare what it wraps
        return value.obj if isinstance(value, Jsonb) else value

    return [(i, a, b) for i, (a, b) in enumerate(zip(fast, orm, strict=True))
            if type(a) is not type(b) or key(a) != key(b)]


def _check_rows_of(objs):
    for obj in objs:
        with_pk = obj.pk is not None
        fast = sqlbatch._row_params(sqlbatch._preparation(type(obj), with_pk, connection), obj, connection)
        assert fast is not None
        orm = _orm_params(obj, sqlbatch._insert_fields(type(obj), with_pk))
        assert _same_values(fast, orm), (type(obj).__name__, _differences(fast, orm))


def test_every_row_a_payment_inserts_is_prepared_as_the_orm_prepares_it(bank, ada, bram, eur_product, monkeypatch):
    from core_banking.payments import services
    from tests import banking

    payer, payee = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, payer, "100.00")
    seen = []
    row_params = sqlbatch._row_params

    def spy(plan, obj, conn):
        params = row_params(plan, obj, conn)
        seen.append((obj, params, [entry[0] for entry in plan]))
        return params

    monkeypatch.setattr(sqlbatch, "_row_params", spy)
    services.payment_create(kind="internal_transfer", amount="12.34", currency="EUR", debtor_account_id=payer.pk,
                            creditor_account_id=payee.pk, idempotency_key="fast-rows", remittance_info="tab\there")
    models_seen = {type(obj).__name__ for obj, _, _ in seen}
    assert {"Payment", "PaymentStatusChange", "Event", "AuditEvent"} <= models_seen, models_seen
    for obj, params, fields in seen:
        assert _same_values(params, _orm_params(obj, fields)), (type(obj).__name__,
                                                                 _differences(params, _orm_params(obj, fields)))


def test_values_the_orm_converts_still_go_through_it():
    from core_banking.payments.models import Payment

    payment = Payment(pk=7, kind=Payment.Kind.INTERNAL_TRANSFER, channel="api", amount=Decimal("5.00"),
                      currency_id="EUR", business_date=dt.date(2026, 1, 2), debtor_account_id=1, creditor_account_id=2,
                      reference="PAYX", idempotency_scope="s", idempotency_key="k", request_hash="h")
    _check_rows_of([payment])  # enum members (kind, status) are plain str to the database, as the ORM makes them
    payment.amount = 5  # an int in a DecimalField: converted by the ORM
    _check_rows_of([payment])
    payment.business_date = dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)  # a datetime in a DateField
    _check_rows_of([payment])


def test_a_naive_datetime_is_warned_about_and_made_aware_as_by_the_orm():
    event = AuditEvent(action="batch.naive", object_repr="x", occurred_at=dt.datetime(2026, 1, 2, 3, 4))
    plan = sqlbatch._preparation(AuditEvent, False, connection)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        params = sqlbatch._row_params(plan, event, connection)
    occurred = params[[entry[1] for entry in plan].index("occurred_at")]
    assert occurred.tzinfo is not None


def test_a_decimal_that_is_not_finite_is_refused_as_by_the_orm():
    from django.core.exceptions import ValidationError

    from core_banking.payments.models import Payment

    payment = Payment(kind="internal_transfer", amount=Decimal("NaN"), currency_id="EUR",
                      business_date=dt.date(2026, 1, 2))
    with pytest.raises(ValidationError):
        sqlbatch._row_params(sqlbatch._preparation(Payment, False, connection), payment, connection)


@pytest.mark.parametrize("size", [10, 70_000, 400_000])
def test_a_batch_of_any_size_is_sent_and_every_result_read(size):
    # small batches leave in one send; past libpq's 64 KiB buffer they are written while results are read
    batch = Batch()
    statements = [batch.add("SELECT length(%s::text), %s::int", ["x" * (size // 20), i]) for i in range(20)]
    batch.run()
    assert [s.rows for s in statements] == [[(size // 20, i)] for i in range(20)]


# --- a batch sent in parts (Batch.send inside Batch.streaming) ---------------------------------------


def _holds_advisory_lock(key: int) -> bool:
    """Whether this session's server process holds advisory lock ``key``, seen from another
    connection (what the server has run, whatever the client has read)."""
    import psycopg

    pid = connection.connection.info.backend_pid
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as other:
        return other.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s"
                             " AND objid = %s AND granted", [pid, key]).fetchone()[0] == 1


def test_statements_sent_early_run_before_the_rest_is_added_and_every_result_is_read_at_run():
    import time

    batch = Batch()
    first = batch.add("SELECT %s::int * 2", [21])
    batch.add("CREATE TEMP TABLE batch_streamed (x int)")
    batch.add("INSERT INTO batch_streamed VALUES (1)")
    batch.add("SELECT pg_advisory_xact_lock(%s)", [918273])
    with batch.streaming():
        assert not _holds_advisory_lock(918273)
        batch.send()
        deadline = time.monotonic() + 10
        while not _holds_advisory_lock(918273) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _holds_advisory_lock(918273) and first.rows is None  # run by the server, not read yet
        second = batch.add("SELECT count(*) FROM batch_streamed")
        batch.insert([AuditEvent(action="batch.streamed", object_repr="x", after={})])
        with CaptureQueriesContext(connection) as queries:
            batch.run()
    assert len(queries.captured_queries) == 1
    assert first.rows == [(42,)] and second.rows == [(1,)]
    assert AuditEvent.objects.filter(action="batch.streamed").count() == 1
    with connection.cursor() as cursor:  # the connection is the ORM's again
        cursor.execute("SELECT 1")


def test_an_error_in_a_part_sent_early_is_raised_at_run_and_nothing_after_it_runs():
    batch = Batch()
    batch.add("CREATE TEMP TABLE batch_streamed_unique (x int PRIMARY KEY)")
    batch.add("INSERT INTO batch_streamed_unique VALUES (1), (1)")
    with batch.streaming():
        batch.send()
        later = batch.add("SELECT 1")
        with pytest.raises(IntegrityError):
            batch.run()
    assert later.rows is None


def test_the_orm_is_refused_the_connection_until_run_and_an_unfinished_batch_is_ended():
    with transaction.atomic():
        batch = Batch()
        sent = batch.add("SELECT 1")
        with pytest.raises(RuntimeError, match="sent in parts"):
            with batch.streaming():
                batch.send()
                AuditEvent.objects.count()  # would read the batch's results: refused
        assert sent.rows is None
        assert AuditEvent.objects.count() >= 0  # the pipeline was ended: the connection works
        assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    with pytest.raises(RuntimeError, match="only allowed inside"):
        Batch().send()


def test_a_caller_failing_between_send_and_run_leaves_the_transaction_to_roll_back():
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            batch = Batch()
            batch.insert([AuditEvent(action="batch.abandoned", object_repr="x", after={})])
            with batch.streaming():
                batch.send()
                1 / 0  # noqa: B018 - the caller's own error, before run()
    assert not AuditEvent.objects.filter(action="batch.abandoned").exists()
    assert fetch("SELECT 7") == [(7,)]


def test_a_rest_that_cannot_be_sent_ends_the_pipeline_of_the_part_already_sent():
    class Unadaptable:
        pass

    with pytest.raises(Exception, match="Unadaptable|adapt"):
        with transaction.atomic():
            batch = Batch()
            batch.insert([AuditEvent(action="batch.half_sent", object_repr="x", after={})])
            with batch.streaming():
                batch.send()
                batch.add("SELECT %s", [Unadaptable()])
                batch.run()
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert not AuditEvent.objects.filter(action="batch.half_sent").exists()
