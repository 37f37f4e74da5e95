"""The support ticket lifecycle's transition table: the one place that says, per action, how staff
see it (the label of its button and route, its changelist action), what the audit trail records,
when a reason is required and whether the transition stamps a time.

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to, who may fire it); ``tests/backoffice/tickets/test_transitions.py`` checks that the two
agree. The service (``services.ticket_transition``), the selectors (the buttons offered,
``available_transitions``), the API (``api/views.py``, ``api/urls.py``: ``POST
/api/v1/tickets/{id}/<name>/``) and the admin (``admin.py``) read from here; none keeps its own
list. Tickets have no maker-checker action type.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name

#: ``reason``: a reason is always required; required unless the ticket was resolved; never.
ALWAYS, UNLESS_RESOLVED, NEVER = "always", "unless_resolved", "never"


@dataclass(frozen=True, kw_only=True)
class TicketTransition(Transition):
    # name is also the route's path segment (``-`` for ``_`` in its URL name).
    #: For people: the button, the API summary, refusals ("<label> is not allowed for ...").
    label: str
    #: When staff must give a reason (``ALWAYS``, ``UNLESS_RESOLVED``, ``NEVER``) and what the
    #: refusal says when they give none.
    reason: str = NEVER
    reason_refusal: str = ""
    #: The model's transition takes the time (``at``) it stamps (resolved_at, closed_at).
    stamps_time: bool = False
    #: The admin's changelist action: its name, its label and the past participle of its message.
    admin_action: str
    admin_label: str
    done: str


TRANSITIONS: tuple[TicketTransition, ...] = (
    TicketTransition(name="open", label="Open", audit_action="ticket.opened", admin_action="open_selected",
                     admin_label="Open selected tickets", done="opened"),
    TicketTransition(name="wait_on_customer", label="Wait on customer", audit_action="ticket.waiting_on_customer",
                     admin_action="wait_selected", admin_label="Wait on customer for selected tickets",
                     done="now waiting on the customer"),
    TicketTransition(name="resume", label="Resume (customer answered)", audit_action="ticket.resumed",
                     admin_action="resume_selected", admin_label="Resume selected tickets (customer answered)",
                     done="resumed"),
    TicketTransition(name="resolve", label="Resolve", audit_action="ticket.resolved", stamps_time=True,
                     admin_action="resolve_selected", admin_label="Resolve selected tickets", done="resolved"),
    TicketTransition(name="close", label="Close", audit_action="ticket.closed", stamps_time=True,
                     reason=UNLESS_RESOLVED, reason_refusal="closing a ticket that was not resolved needs a reason",
                     admin_action="close_selected", admin_label="Close selected tickets (reason needed if unresolved)",
                     done="closed"),
    TicketTransition(name="reopen", label="Reopen", audit_action="ticket.reopened", reason=ALWAYS,
                     reason_refusal="reopening a ticket needs a reason", admin_action="reopen_selected",
                     admin_label="Reopen selected tickets (reason needed)", done="reopened"),
)

#: In the order staff see them.
BY_NAME: dict[str, TicketTransition] = by_name(TRANSITIONS)
