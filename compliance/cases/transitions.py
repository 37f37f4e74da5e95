"""The compliance case's transition table: the one place that says, per action, how staff see it
(the label of its button, the API's transition option and its refusals), what the audit trail
records, whether it needs a reason, which time it stamps, whether it closes the case, the
permission it needs besides working the case, and the changelist action of the admin.

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to, who may fire it); ``tests/compliance/cases/test_transitions.py`` checks that the two
agree. The services (``services.case_transition``, ``case_report_file``, the SLA escalation), the
selectors (the options offered, ``available_transitions``), the API (``api/serializers.py``: the
action's choices, and the ``CaseTransitionActionEnum`` of the OpenAPI document), the staff case
page (``staff/views.py``) and the admin (``admin.py``) read from here; none keeps its own list.
Cases have no maker-checker action type.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name

from .roles import REPORT


@dataclass(frozen=True, kw_only=True)
class CaseTransition(Transition):
    # name is also the action of the case's history row and of ``POST .../transitions/``.
    #: For people: the button, the API's option, refusals ("<label> is not allowed for a case that
    #: is ...") and the staff page's message ("<case>: <label> done.").
    label: str
    #: A reason is required, and what the refusal says when none is given.
    reason_required: bool = False
    reason_refusal: str = ""
    #: The time field the transition stamps (``escalated_at``, ``closed_at``), "" for none.
    stamps: str = ""
    #: The case is closed: the reason becomes its ``resolution``.
    closes: bool = False
    #: The permission needed besides working the case, and the refusal without it.
    permission: str | None = None
    permission_refusal: str = ""
    #: Fired only by filing the suspicious activity report (``services.case_report_file``), never on
    #: its own: the staff page offers the report's form instead of a button.
    by_filing: bool = False
    #: The admin's changelist action: its name, label, the reason it records and the past
    #: participle of its message.
    admin_action: str | None = None
    admin_label: str = ""
    admin_reason: str = ""
    done: str = ""
    #: When the SLA task fires it (``services.escalate_overdue_cases``, set-based): the history
    #: row's action and the audit trail's action.
    sla_history_action: str = ""
    sla_audit_action: str = ""


TRANSITIONS: tuple[CaseTransition, ...] = (
    CaseTransition(name="investigate", label="Start investigating", audit_action="compliance.case_investigating"),
    CaseTransition(name="escalate", label="Escalate", audit_action="compliance.case_escalated", stamps="escalated_at",
                   admin_action="escalate_selected", admin_label="Escalate selected cases",
                   admin_reason="escalated from the admin", done="escalated", sla_history_action="escalate_sla",
                   sla_audit_action="compliance.case_sla_escalated"),
    CaseTransition(name="close_no_action", label="Close with no action",
                   audit_action="compliance.case_closed_no_action", reason_required=True,
                   reason_refusal="closing a case needs a reason", stamps="closed_at", closes=True),
    CaseTransition(name="report", label="Report to the regulator", audit_action="compliance.case_reported",
                   reason_required=True, reason_refusal="a report needs a narrative", stamps="closed_at", closes=True,
                   permission=REPORT, permission_refusal=f"reporting a case needs {REPORT}", by_filing=True),
)

#: In the order staff see them.
BY_NAME: dict[str, CaseTransition] = by_name(TRANSITIONS)
#: The actions ``POST /api/v1/compliance/cases/{id}/transitions/`` takes, in table order (its
#: serializer's choices and the OpenAPI document's ``CaseTransitionActionEnum``).
API_ACTIONS: tuple[str, ...] = tuple(BY_NAME)
#: What the admin's changelist offers, in table order.
IN_ADMIN: tuple[CaseTransition, ...] = tuple(t for t in TRANSITIONS if t.admin_action is not None)
ESCALATE, REPORT_FILED = BY_NAME["escalate"], BY_NAME["report"]
