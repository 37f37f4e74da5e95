"""The end-of-day run's transition table (``core_banking/eod/transitions.py``) and the model agree:
every transition of the table is a django-fsm transition of ``EodRun`` and every transition is in
the table; the strings the audit trail and the history show are today's; the re-run's permission
and admin action are the table's."""

from __future__ import annotations

from django.contrib.admin.sites import site

from core_banking.eod import roles, services, transitions
from core_banking.eod.models import EodRun
from tests.helpers import assert_table_is_the_models_transitions


def test_every_transition_of_the_table_is_one_of_the_model_and_every_one_of_the_model_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, EodRun)


def test_the_table_keeps_the_strings_the_audit_trail_and_the_history_show():
    assert {t.name: (t.audit_action, t.default_reason) for t in transitions.TRANSITIONS} == {
        "complete": ("eod.completed", "all steps completed"),
        "fail": ("eod.failed", ""),  # the failed chunks' errors are the reason
        "resume": ("eod.resumed", "re-run"),
    }


def test_the_rerun_is_permissioned_and_offered_from_the_table():
    assert [t.name for t in transitions.TRANSITIONS if t.permission] == ["resume"]
    assert transitions.RESUME.permission == roles.START == services.START_PERMISSION
    action = site._registry[EodRun].rerun_selected
    assert action.short_description == transitions.RESUME.admin_label == (
        "Re-run selected end-of-day runs (failed, or stuck running)")
    assert action.allowed_permissions == ["start"]
