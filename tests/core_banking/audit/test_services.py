import datetime
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from core_banking.audit.context import acting
from core_banking.audit.models import AuditEvent
from core_banking.audit.services import audit_record, audit_record_many, to_jsonable

pytestmark = pytest.mark.django_db


def test_values_are_made_json_safe_without_losing_precision():
    group = Group(pk=12, name="tellers")
    value = {
        "amount": Decimal("1234.50"),
        "rate": Decimal("0.000125"),
        "value_date": datetime.date(2026, 3, 31),
        "booked_at": datetime.datetime(
            2026, 3, 31, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
        "period": datetime.timedelta(days=1, hours=2),
        "reference": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "group": group,
        "tags": {"b", "a"},
        "legs": (Decimal("1"), None, True),
    }

    assert to_jsonable(value) == {
        "amount": "1234.50",
        "rate": "0.000125",
        "value_date": "2026-03-31",
        "booked_at": "2026-03-31T21:30:00+00:00",
        "period": "P1DT02H00M00S",
        "reference": "12345678-1234-5678-1234-567812345678",
        "group": 12,
        "tags": ["a", "b"],
        "legs": ["1", None, True],
    }


def test_audit_record_takes_actor_request_and_channel_from_the_context(django_user_model):
    teller = django_user_model.objects.create_user("teller", password="a-long-enough-password")
    group = Group.objects.create(name="tellers")

    with acting(
        actor_id=teller.pk,
        actor_repr="teller",
        request_id="req42",
        client_ip="10.1.2.3",
        channel="command",
    ):
        event = audit_record(
            action="limits.changed",
            obj=group,
            before={"daily": Decimal("100.00")},
            after={"daily": Decimal("250.00")},
            changes=["daily"],
            reason="ticket 81",
        )

    event.refresh_from_db()
    assert (event.actor_id, event.actor_repr, event.request_id, event.client_ip, event.channel) == (
        teller.pk,
        "teller",
        "req42",
        "10.1.2.3",
        "command",
    )
    assert (event.object_type, event.object_id, event.object_repr) == (
        "auth.group",
        str(group.pk),
        "tellers",
    )
    assert (event.before, event.after, event.changes, event.reason) == (
        {"daily": "100.00"},
        {"daily": "250.00"},
        ["daily"],
        "ticket 81",
    )


def test_an_explicit_actor_wins_over_the_context(django_user_model):
    maker = django_user_model.objects.create_user("maker", password="a-long-enough-password")
    checker = django_user_model.objects.create_user("checker", password="a-long-enough-password")

    with acting(actor_id=maker.pk, actor_repr="maker"):
        event = audit_record(action="approvals.approved", actor=checker)

    assert (event.actor_id, event.actor_repr) == (checker.pk, "checker")
    assert event.request_id  # acting() always gives the block a request id


def test_the_event_rolls_back_with_the_callers_transaction():
    before = AuditEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="ledger.entry_reversed", object_type="ledger.entry", object_id=1)
        raise RuntimeError("the reversal failed")

    assert AuditEvent.objects.count() == before


def test_audit_record_many_appends_every_entry_with_the_context():
    with acting(request_id="batch1", channel="task"):
        events = audit_record_many(
            [
                {
                    "action": "interest.accrued",
                    "object_type": "accounts.account",
                    "object_id": n,
                    "after": {"amount": Decimal("0.01") * n},
                }
                for n in (1, 2, 3)
            ]
        )

    stored = AuditEvent.objects.filter(request_id="batch1").order_by("id")
    assert len(events) == 3
    assert [(e.object_id, e.after, e.channel) for e in stored] == [
        ("1", {"amount": "0.01"}, "task"),
        ("2", {"amount": "0.02"}, "task"),
        ("3", {"amount": "0.03"}, "task"),
    ]
