"""The hold's transition table (``core_banking/ledger/transitions.py``) and the model agree: every
transition of the table is a django-fsm transition of ``Hold`` and every transition is in the
table; voiding and expiring are audited under the table's actions, posting is recorded by its
journal entry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_banking.audit.models import AuditEvent
from core_banking.ledger import services, transitions
from core_banking.ledger.models import Hold
from tests.helpers import assert_table_is_the_models_transitions


def test_every_transition_of_the_table_is_one_of_the_model_and_every_one_of_the_model_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Hold)


def test_the_table_keeps_the_strings_the_audit_trail_shows():
    assert {t.name: t.audit_action for t in transitions.TRANSITIONS} == {
        "mark_posted": "", "mark_voided": "ledger.hold_voided", "mark_expired": "ledger.hold_expired",
    }


@pytest.mark.django_db
def test_a_void_and_an_expiry_are_audited_under_the_tables_actions(bank):
    held = [services.hold_create(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("1.00"),
                                 idempotency_key=f"h{i}")[0] for i in range(2)]
    services.hold_void(hold_id=held[0].pk, reason="customer cancelled")
    services._hold_release(held[1].pk, expire=True, reason="expired")
    audited = dict(AuditEvent.objects.filter(object_id__in=[str(h.pk) for h in held], action__startswith="ledger.hold")
                   .values_list("object_id", "action"))
    assert audited == {str(held[0].pk): transitions.VOID.audit_action, str(held[1].pk): transitions.EXPIRE.audit_action}
    assert [Hold.objects.get(pk=h.pk).status for h in held] == [Hold.Status.VOIDED, Hold.Status.EXPIRED]
