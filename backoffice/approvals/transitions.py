"""The approval request's transition table: the one place that says, per transition, what the
request's history and the audit trail record, and, per thing a person does with a request (approve,
reject, cancel, retry), its label, whether it needs a reason, which transition it leads to, its
route and its changelist action.

The model keeps its django-fsm ``@transition`` methods (which states a transition leaves from and
goes to); ``tests/backoffice/approvals/test_transitions.py`` checks that the two agree. The
services (``services.py``), the selectors (the buttons offered, ``available_actions``), the API
(``api/urls.py``) and the admin (``admin.py``) read from here; none keeps its own list. What a
request *executes* is the registry's (``registry.py``, one action type per sensitive action); the
account lifecycle's action types read the account's own table (``core_banking/accounts/transitions.py``).

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name


@dataclass(frozen=True, kw_only=True)
class ApprovalTransition(Transition):
    #: The history row's ``action`` (``execute`` for ``mark_executed``).
    history_action: str


@dataclass(frozen=True, kw_only=True)
class StaffAction:
    #: What the person does: the route's path segment (``POST /api/v1/approvals/{id}/<name>/``),
    #: the change page's button, the service ``request_<name>``.
    name: str
    label: str
    reason_required: bool = False
    #: The transition it fires once it succeeds (approve: when it is the last approval needed).
    fires: str
    #: The admin's changelist action: its label, the admin permission it needs (``has_<x>_permission``)
    #: and the past participle of its message.
    admin_label: str
    admin_permission: str
    done: str

    @property
    def admin_action(self) -> str:
        return f"{self.name}_selected"


TRANSITIONS: tuple[ApprovalTransition, ...] = (
    ApprovalTransition(name="approve", history_action="approve", audit_action="approval.approved"),
    ApprovalTransition(name="mark_executed", history_action="execute", audit_action="approval.executed",
                       default_reason="executed"),
    ApprovalTransition(name="reject", history_action="reject", audit_action="approval.rejected"),
    ApprovalTransition(name="cancel", history_action="cancel", audit_action="approval.cancelled"),
    ApprovalTransition(name="expire", history_action="expire", audit_action="approval.expired",
                       default_reason="not decided in time"),
)

STAFF_ACTIONS: tuple[StaffAction, ...] = (
    StaffAction(name="approve", label="Approve", fires="approve", admin_label="Approve selected requests",
                admin_permission="decide", done="approved"),
    StaffAction(name="reject", label="Reject", reason_required=True, fires="reject",
                admin_label="Reject selected requests (reason needed)", admin_permission="decide", done="rejected"),
    StaffAction(name="cancel", label="Cancel my request", fires="cancel",
                admin_label="Cancel selected requests (mine only)", admin_permission="initiate", done="cancelled"),
    StaffAction(name="retry", label="Retry the failed execution", fires="mark_executed",
                admin_label="Retry the failed execution of selected requests", admin_permission="decide",
                done="executed again"),
)

BY_NAME: dict[str, ApprovalTransition] = by_name(TRANSITIONS)
#: In the order people see them.
STAFF_BY_NAME: dict[str, StaffAction] = {a.name: a for a in STAFF_ACTIONS}
