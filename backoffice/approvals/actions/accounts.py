"""Maker-checker transitions of an account (freeze, unfreeze, close), one action type per
transition of the accounts' table (``core_banking/accounts/transitions.py``, which names them),
executed by ``core_banking.accounts.services.account_lifecycle``."""

from __future__ import annotations

from collections.abc import Callable

from backoffice.staff.roles import COMPLIANCE_OFFICER, OPERATIONS
from core_banking.accounts import services as accounts
from core_banking.accounts import transitions
from core_banking.accounts.models import Account

from ..action_type import ActionType, Payload, Result, bad, integer, only, policy, text


def validate(payload: Payload) -> Payload:
    only(payload, {"account_id", "reason"})
    account_id = integer(payload, "account_id")
    if not Account.objects.filter(pk=account_id).exists():
        raise bad(f"account {account_id} does not exist", "account_id")
    return {"account_id": account_id, "reason": text(payload, "reason", required=True)}


def target(payload: Payload) -> str:
    return f"account:{payload['account_id']}"


def executor(action: str) -> Callable[..., Result]:
    """The executor of a maker-checker transition of the accounts' table: fires ``action``."""
    def execute(payload: Payload, actor, *, request_id: int) -> Result:
        account = accounts.account_lifecycle(account_id=payload["account_id"], action=action, actor=actor,
                                             reason=payload["reason"])
        return {"account_id": account.pk, "status": account.status}
    return execute


def describer(label: str) -> Callable[[Payload], str]:
    return lambda p: f"{label.lower()} account {p['account_id']}: {p['reason']}"


#: Who may ask for and who approves each maker-checker transition.
POLICIES = {
    "account_freeze": policy(initiators=[OPERATIONS], checkers=[COMPLIANCE_OFFICER, OPERATIONS], hours=24),
    "account_unfreeze": policy(initiators=[OPERATIONS], checkers=[COMPLIANCE_OFFICER], hours=24),
    "account_close": policy(initiators=[OPERATIONS], checkers=[OPERATIONS, COMPLIANCE_OFFICER]),
}

# "Freeze an account", "Unfreeze an account", "Close an account": executed by that transition.
ACTIONS = [
    ActionType(code=code, label=f"{transition.label} an account", validate=validate, target=target,
               execute=executor(transition.name), describe=describer(transition.label), defaults=POLICIES[code])
    for code, transition in transitions.BY_ACTION_TYPE.items()
]
