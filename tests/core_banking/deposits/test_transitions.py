"""The term deposit lifecycle's transition table (``core_banking/deposits/transitions.py``) and
the model agree: every action of the table is a django-fsm transition of ``TermDeposit`` and every
transition is in the table; the audit trail's actions are today's; the route, the permission and
the admin action of the early withdrawal are the table's."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.urls import reverse

from core_banking.deposits import services, transitions
from core_banking.deposits.api import views
from core_banking.deposits.models import TermDeposit
from tests.helpers import assert_table_is_the_models_transitions


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, TermDeposit)


def test_the_table_keeps_the_strings_the_audit_trail_and_the_history_show():
    assert {t.name: (t.audit_action, t.default_reason) for t in transitions.TRANSITIONS} == {
        "mature": ("deposit.matured", "matured: paid out"),
        "roll_over": ("deposit.rolled_over", ""),
        "withdraw_early": ("deposit.withdrawn_early", ""),
    }
    # The maturity audit action used to be "deposit.<status>": the table keeps those names.
    for name, status in (("mature", TermDeposit.Status.MATURED), ("roll_over", TermDeposit.Status.ROLLED_OVER)):
        assert transitions.BY_NAME[name].audit_action == f"deposit.{status}"


def test_the_early_withdrawal_is_routed_permissioned_and_offered_from_the_table():
    spec = transitions.WITHDRAW_EARLY
    assert list(transitions.BY_SLUG) == ["withdraw"] and transitions.BY_SLUG["withdraw"] is spec
    assert reverse("deposits:deposit-withdraw", kwargs={"deposit_id": 7}) == "/api/v1/deposits/7/withdraw/"
    assert spec.permission == "deposits.withdraw_termdeposit" == services.WITHDRAW_PERMISSION
    assert views.DepositWithdrawApi.required_perms == {"POST": [spec.permission]}
    assert spec.reason_required
    action = site._registry[TermDeposit].withdraw_early
    assert action.short_description == "Withdraw selected deposits early (reason needed)"
