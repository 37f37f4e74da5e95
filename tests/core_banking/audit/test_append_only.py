"""The trail is append-only: in Python, and in PostgreSQL for anyone going around the ORM."""

import pytest
from django.db import DatabaseError, connection, transaction

from core_banking.audit.exceptions import AuditTrailImmutable
from core_banking.audit.models import AuditEvent
from core_banking.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit_record(
        action="ledger.entry_reversed",
        object_type="ledger.entry",
        object_id=7,
        reason="duplicate payment",
    )


def _row(event_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT action, reason, object_id FROM audit_auditevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s",
        "UPDATE audit_auditevent SET action = 'nothing.happened' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_update_and_delete(event, sql):
    # Given an audit event, when raw SQL tries to rewrite or remove it
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])

    # then the row is exactly as it was written
    assert _row(event.pk) == ("ledger.entry_reversed", "duplicate payment", "7")


def test_the_database_refuses_truncate(event):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            # Fire the test transaction's pending deferred FK checks first, or PostgreSQL
            # refuses the TRUNCATE for that reason before the trigger is reached.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_saving_an_existing_event_again_is_refused(event):
    event.reason = "rewritten"

    with pytest.raises(AuditTrailImmutable):
        event.save()
    with pytest.raises(AuditTrailImmutable):
        event.save(update_fields=["reason"])

    assert _row(event.pk)[1] == "duplicate payment"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditTrailImmutable):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused(event):
    events = AuditEvent.objects.filter(pk=event.pk)

    with pytest.raises(AuditTrailImmutable):
        events.update(reason="rewritten")
    with pytest.raises(AuditTrailImmutable):
        events.delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.bulk_update([event], ["reason"])

    assert _row(event.pk) == ("ledger.entry_reversed", "duplicate payment", "7")


def test_a_user_with_audit_history_cannot_be_deleted(django_user_model):
    from django.db.models import ProtectedError

    user = django_user_model.objects.create_user("teller", password="a-long-enough-password")
    audit_record(action="ledger.entry_reversed", actor=user)

    with pytest.raises(ProtectedError):
        user.delete()

    assert django_user_model.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_still_flush_the_database(event):
    # The test-suite flush (TRUNCATE) runs after this test; tests/conftest.py lets it through.
    # If it did not, the teardown of this test would fail.
    assert AuditEvent.objects.filter(pk=event.pk).exists()
