"""Settlement's two transition tables, the batch's and the suspense item's: the one place that
says, per transition, what the audit trail records and the reason the history records when the
engine fires it, and, for those staff ask for (cancelling a batch, booking or returning a credit
held in suspense), the permission the maker needs, the refusals, the maker-checker action type
and its label, and the admin's action or button.

The models keep their django-fsm ``@transition`` methods (which states a transition leaves from
and goes to; ``models.BATCH_TRANSITIONS`` repeats the batch's pairs for the database trigger);
``tests/core_banking/settlement/test_transitions.py`` checks that tables and models agree. The
services (``services.py``), the admin (``admin.py``) and the approvals registry
(``backoffice/approvals/actions/settlement.py``) read from here; none keeps its own list.
Settlement has no transition on the API (it is read-only there). The domain events are named
after the state reached (``events.py``), not after the transition.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name

from .roles import CANCEL, CLOSE, RESOLVE


@dataclass(frozen=True, kw_only=True)
class SettlementTransition(Transition):
    # audit_action is "" for those that record no audit row of their own (the history and the
    # domain event record them); default_reason is "" where the service words it (a cut-off, a
    # scheme's rejection).
    #: The permission a person needs to fire it (or, for a maker-checker one, to ask for it).
    permission: str | None = None
    #: The end of the refusal when the object is in another state: "<object> is <status>, <refused>".
    refused: str = ""
    #: What the refusal says when no reason is given ("" when the table requires none).
    reason_refusal: str = ""
    #: The maker-checker action type (``backoffice/approvals/actions/settlement.py``) and its label.
    action_type: str | None = None
    approval_label: str = ""
    #: For people, in the admin: the button (or link), the changelist action's label, the reason
    #: it records ("{user}": who asked), and the subject of its message ("{pk}": the object).
    label: str = ""
    admin_label: str = ""
    admin_reason: str = ""
    admin_subject: str = ""


BATCH_TRANSITIONS: tuple[SettlementTransition, ...] = (
    SettlementTransition(name="close", audit_action="settlement.batch_closed", permission=CLOSE),
    SettlementTransition(name="send", audit_action="", default_reason="sent"),
    SettlementTransition(name="complete", audit_action="", default_reason="every payment answered"),
    # Cancelled by the engine (nothing to send at the cut-off: no audit row), or on a person's
    # request once a second person approved it.
    SettlementTransition(name="cancel", audit_action="settlement.batch_cancelled",
                         default_reason="nothing to send at the cut-off", permission=CANCEL,
                         refused="only an open or closed batch can be cancelled",
                         reason_refusal="a cancellation needs a reason", action_type="settlement_batch_cancel",
                         approval_label="Cancel a settlement batch before it is sent", label="Cancel",
                         admin_label="Cancel selected batches before they are sent (asks for approval)",
                         admin_reason="cancelled in the admin by {user}", admin_subject="Batch {pk} cancellation"),
)

SUSPENSE_TRANSITIONS: tuple[SettlementTransition, ...] = (
    SettlementTransition(name="book", audit_action="settlement.suspense_booked", permission=RESOLVE,
                         refused="not open", action_type="settlement_suspense_book",
                         approval_label="Book an incoming credit from suspense to an account",
                         label="Book to an account", admin_subject="Booking of suspense item {pk}"),
    SettlementTransition(name="start_return", audit_action="settlement.suspense_returned",
                         default_reason="returned to the sender", permission=RESOLVE, refused="not open",
                         action_type="settlement_suspense_return",
                         approval_label="Return an incoming credit from suspense to its sender",
                         label="Return to sender",
                         admin_label="Return selected credits to their senders (asks for approval)",
                         admin_reason="returned to the sender in the admin by {user}",
                         admin_subject="Return of suspense item {pk}"),
    # The scheme accepted the return, or rejected it (the money is back in suspense).
    SettlementTransition(name="returned", audit_action="", default_reason="returned to the sender"),
    SettlementTransition(name="reopen", audit_action=""),
)

BATCH_BY_NAME: dict[str, SettlementTransition] = by_name(BATCH_TRANSITIONS)
SUSPENSE_BY_NAME: dict[str, SettlementTransition] = by_name(SUSPENSE_TRANSITIONS)
#: The maker-checker ones, in table order: action type -> transition.
BY_ACTION_TYPE: dict[str, SettlementTransition] = {
    t.action_type: t for t in (*BATCH_TRANSITIONS, *SUSPENSE_TRANSITIONS) if t.action_type is not None}
#: Each transition by name.
CLOSE_BATCH, SEND, COMPLETE, CANCEL_BATCH = (BATCH_BY_NAME[n] for n in ("close", "send", "complete", "cancel"))
BOOK, START_RETURN, RETURNED, REOPEN = (SUSPENSE_BY_NAME[n] for n in ("book", "start_return", "returned", "reopen"))
