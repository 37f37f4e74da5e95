"""The account lifecycle's transition table (``core_banking/accounts/transitions.py``) and the
model agree: every action of the table is a django-fsm transition of ``Account`` and every
transition is in the table; the strings the API, the audit trail and the admin show are today's;
each maker-checker action type of the table is registered in the approvals registry, and
executing it fires that transition."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core_banking.accounts import services, transitions
from core_banking.accounts.exceptions import InvalidAccount
from core_banking.accounts.models import Account
from core_banking.audit.models import AuditEvent
from core_banking.common.maker_checker import approved_execution, system_execution
from tests import banking
from tests.helpers import assert_table_is_the_models_transitions


@pytest.fixture
def action_types() -> dict:
    """The approvals registry's action types (imported here: the other tests need no back office)."""
    from backoffice.approvals.registry import ACTION_TYPES

    return ACTION_TYPES


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Account)


def test_slugs_and_action_types_are_unique_and_each_maker_checker_or_staff_action_needs_a_reason():
    slugs = [t.slug for t in transitions.TRANSITIONS if t.slug is not None]
    types = [t.action_type for t in transitions.TRANSITIONS if t.action_type is not None]

    assert len(slugs) == len(set(slugs)) and len(types) == len(set(types))
    assert all(t.reason_required for t in transitions.TRANSITIONS if t.slug or t.action_type or t.in_admin)
    assert transitions.BY_NAME[transitions.CLOSE].slug is None  # close has its own route and service


def test_the_table_keeps_the_strings_the_api_the_audit_trail_and_the_admin_show():
    assert {t.name: (t.slug, t.label, t.done, t.audit_action) for t in transitions.TRANSITIONS} == {
        "activate": (None, "Activate", "activated", "account.activated"),
        "freeze": ("freeze", "Freeze", "frozen", "account.frozen"),
        "unfreeze": ("unfreeze", "Unfreeze", "unfrozen", "account.unfrozen"),
        "block_debits": ("block-debits", "Block debits", "debit-blocked", "account.debits_blocked"),
        "block_credits": ("block-credits", "Block credits", "credit-blocked", "account.credits_blocked"),
        "unblock": ("unblock", "Unblock", "unblocked", "account.unblocked"),
        "mark_dormant": (None, "Mark dormant", "marked dormant", "account.dormant"),
        "reactivate": ("reactivate", "Reactivate", "reactivated", "account.reactivated"),
        "close": (None, "Close", "closed", "account.closed"),
    }
    # The route's alternatives keep their order (tests/authz/table.py names the pattern).
    assert list(transitions.BY_SLUG) == ["freeze", "unfreeze", "block-debits", "block-credits", "unblock",
                                         "reactivate"]
    assert {t.name for t in transitions.TRANSITIONS if t.rechecks_kyc} == {"activate", "unfreeze", "unblock",
                                                                             "reactivate"}
    assert [t.name for t in transitions.IN_ADMIN] == ["freeze", "unfreeze", "block_debits", "block_credits",
                                                      "unblock", "reactivate", "close"]
    assert transitions.BY_ACTION_TYPE == {"account_freeze": transitions.BY_NAME["freeze"],
                                          "account_unfreeze": transitions.BY_NAME["unfreeze"],
                                          "account_close": transitions.BY_NAME["close"]}


def test_every_slug_of_the_table_is_routed_to_the_transition_view():
    for slug in transitions.BY_SLUG:
        assert reverse("accounts:account-transition", kwargs={"account_id": 7, "action": slug}) == (
            f"/api/v1/accounts/7/{slug}/")


@pytest.mark.backoffice
def test_each_maker_checker_action_type_of_the_table_is_in_the_registry_with_its_label(action_types):
    for code, spec in transitions.BY_ACTION_TYPE.items():
        assert code in action_types, code
        assert action_types[code].label == f"{spec.label} an account"
        assert action_types[code].describe({"account_id": 5, "reason": "why"}) == f"{spec.label.lower()} account 5: why"
    registered = {code for code in action_types if code.startswith("account_")}
    assert registered == set(transitions.BY_ACTION_TYPE)


def _into_a_source_state_of(account: Account, name: str) -> str:
    """Move ``account`` (engine-internally) into a state ``name`` may leave from, in at most one
    step of the table; return that state."""
    sources = set(getattr(Account, name)._django_fsm.transitions)
    if account.status in sources:
        return account.status
    for step in transitions.TRANSITIONS:
        meta = getattr(Account, step.name)._django_fsm
        if meta.has_transition(account.status) and meta.get_transition(account.status).target in sources:
            with system_execution():
                services.account_lifecycle(account_id=account.pk, action=step.name, reason="setup")
            account.refresh_from_db()
            return account.status
    raise AssertionError(f"no step of the table leads from {account.status} to where {name} may start")


@pytest.mark.backoffice
@pytest.mark.django_db
@pytest.mark.parametrize("code", list(transitions.BY_ACTION_TYPE))
def test_executing_an_approved_maker_checker_action_fires_its_transition(ada, product, action_types, code):
    spec = transitions.BY_ACTION_TYPE[code]
    account = banking.account(ada, product)
    source = _into_a_source_state_of(account, spec.name)
    target = getattr(Account, spec.name)._django_fsm.get_transition(source).target

    with approved_execution(code):
        result = action_types[code].execute({"account_id": account.pk, "reason": "case 42"}, None, request_id=1)

    account.refresh_from_db()
    assert result == {"account_id": account.pk, "status": target}
    assert (account.status, account.status_reason) == (target, "case 42")
    change = account.status_changes.order_by("-id").first()
    assert (change.from_status, change.to_status) == (source, target)
    event = AuditEvent.objects.filter(object_type="accounts.account", object_id=str(account.pk)).latest("id")
    assert event.action == spec.audit_action


def test_the_service_refuses_an_action_outside_the_table_and_close_which_has_its_own_service(db):
    for action in ("hibernate", transitions.CLOSE):
        with pytest.raises(InvalidAccount, match="unknown account action"):
            services.account_transition(account_id=1, action=action)
