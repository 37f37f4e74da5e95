"""``Batch``: statements in one round trip, each with its own result; ORM-prepared inserts."""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from core_banking.audit.models import AuditEvent
from core_banking.common.sqlbatch import Batch

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


def test_a_failing_statement_fails_the_batch_and_the_statements_after_it_do_not_run():
    batch = Batch()
    batch.add("CREATE TEMP TABLE batch_unique (x int PRIMARY KEY)")
    batch.add("INSERT INTO batch_unique VALUES (1)")
    batch.add("INSERT INTO batch_unique VALUES (1)")
    later = batch.add("SELECT 1")
    with pytest.raises(IntegrityError):
        batch.run()
    assert later.rows is None
