"""Settlement's transition tables (``core_banking/settlement/transitions.py``) and the models
agree: every transition of each table is a django-fsm transition of ``Batch`` or ``SuspenseItem``
and every transition is in its table, and the database trigger's allowed moves of a batch are the
model's; the strings the audit trail and the history show are today's; the permissions, the
admin's actions and the approvals registry's action types are the tables'."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site

from core_banking.settlement import roles, services, transitions
from core_banking.settlement.models import BATCH_TRANSITIONS, Batch, SuspenseItem
from tests.helpers import assert_table_is_the_models_transitions


def test_every_transition_of_each_table_is_one_of_its_model_and_every_one_of_the_model_is_in_its_table():
    assert_table_is_the_models_transitions(transitions.BATCH_TRANSITIONS, Batch)
    assert_table_is_the_models_transitions(transitions.SUSPENSE_TRANSITIONS, SuspenseItem)


def test_the_database_trigger_allows_the_moves_of_the_models_transitions():
    pairs = {(t.source, t.target) for t in Batch._meta.get_field("status").get_all_transitions(Batch)}
    assert BATCH_TRANSITIONS == pairs


def test_the_tables_keep_the_strings_the_audit_trail_and_the_history_show():
    assert {t.name: (t.audit_action, t.default_reason) for t in transitions.BATCH_TRANSITIONS} == {
        "close": ("settlement.batch_closed", ""),
        "send": ("", "sent"),
        "complete": ("", "every payment answered"),
        "cancel": ("settlement.batch_cancelled", "nothing to send at the cut-off"),
    }
    assert {t.name: (t.audit_action, t.default_reason) for t in transitions.SUSPENSE_TRANSITIONS} == {
        "book": ("settlement.suspense_booked", ""),
        "start_return": ("settlement.suspense_returned", "returned to the sender"),
        "returned": ("", "returned to the sender"),
        "reopen": ("", ""),
    }


def test_the_permissions_and_refusals_are_the_tables():
    assert (transitions.CLOSE_BATCH.permission, transitions.CANCEL_BATCH.permission) == (roles.CLOSE, roles.CANCEL)
    assert transitions.BOOK.permission == transitions.START_RETURN.permission == roles.RESOLVE
    assert transitions.CANCEL_BATCH.refused == "only an open or closed batch can be cancelled"
    assert transitions.CANCEL_BATCH.reason_refusal == "a cancellation needs a reason"
    assert transitions.BOOK.refused == transitions.START_RETURN.refused == "not open"
    # Each refusal names the states a person fires it from.
    assert set(Batch.cancel._django_fsm.transitions) == {Batch.Status.OPEN, Batch.Status.CLOSED}
    for spec in (transitions.BOOK, transitions.START_RETURN):
        assert set(getattr(SuspenseItem, spec.name)._django_fsm.transitions) == {SuspenseItem.Status.OPEN}
    # The services keep no list of their own.
    assert not hasattr(services, "TRANSITIONS")


def test_the_maker_checker_transitions_are_the_tables():
    assert {code: t.name for code, t in transitions.BY_ACTION_TYPE.items()} == {
        "settlement_batch_cancel": "cancel", "settlement_suspense_book": "book",
        "settlement_suspense_return": "start_return"}
    assert all(t.permission and t.approval_label and t.label for t in transitions.BY_ACTION_TYPE.values())


def test_the_admin_actions_are_the_tables():
    batches, suspense = site._registry[Batch], site._registry[SuspenseItem]
    assert batches.cancel_selected.short_description == transitions.CANCEL_BATCH.admin_label == (
        "Cancel selected batches before they are sent (asks for approval)")
    assert suspense.return_to_sender.short_description == transitions.START_RETURN.admin_label == (
        "Return selected credits to their senders (asks for approval)")
    assert transitions.CANCEL_BATCH.admin_reason.format(user="ops") == "cancelled in the admin by ops"
    assert transitions.START_RETURN.admin_reason.format(user="ops") == "returned to the sender in the admin by ops"
    assert [t.admin_subject.format(pk=5) for t in (transitions.CANCEL_BATCH, transitions.BOOK,
                                                    transitions.START_RETURN)] == [
        "Batch 5 cancellation", "Booking of suspense item 5", "Return of suspense item 5"]


@pytest.mark.backoffice
def test_the_action_types_of_the_tables_are_in_the_approvals_registry_with_their_labels():
    from backoffice.approvals.registry import ACTION_TYPES

    registered = {code for code in ACTION_TYPES if code.startswith("settlement_")}
    assert registered == set(transitions.BY_ACTION_TYPE)
    assert {code: ACTION_TYPES[code].label for code in registered} == {
        code: t.approval_label for code, t in transitions.BY_ACTION_TYPE.items()}
    assert transitions.CANCEL_BATCH.approval_label == "Cancel a settlement batch before it is sent"
    assert transitions.BOOK.approval_label == "Book an incoming credit from suspense to an account"
    assert transitions.START_RETURN.approval_label == "Return an incoming credit from suspense to its sender"
