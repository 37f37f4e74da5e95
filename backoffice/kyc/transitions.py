"""The KYC application's transition table: the one place that says, per action, how staff see it
(the label of its button and route, its changelist action), what the audit trail records, who
fires it (the preparer or the reviewer) and whether it needs a reason or a rejection code.

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to, who may fire it); ``tests/backoffice/kyc/test_transitions.py`` checks that the two agree.
The services (``services.py``), the selectors (the buttons offered, ``available_transitions``), the
API (``api/views.py``, ``api/urls.py``: ``POST /api/v1/kyc/applications/{id}/<name with ->/``) and
the admin (``admin.py``) read from here; none keeps its own list. Overriding a customer's KYC
status is the maker-checker action type ``kyc_override`` (``backoffice/approvals/actions/customers.py``),
not a transition of an application.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name


@dataclass(frozen=True, kw_only=True)
class KycTransition(Transition):
    #: For people: the button, the API summary, refusals ("<label> is not allowed for ...").
    label: str
    #: Fired by whoever prepares the application (``kyc.add_kycapplication``), else by a reviewer
    #: (``kyc.review_kycapplication``).
    prepare: bool = False
    #: A reason is required ("<label> needs a reason").
    reason_required: bool = False
    #: The body carries a rejection reason code (``RejectionReason``).
    reason_code: bool = False
    #: The admin's changelist action, when there is one, and the words of its message.
    admin_action: str | None = None
    admin_label: str = ""
    done: str = ""

    @property
    def slug(self) -> str:
        """The path segment of its route and its URL name (``application-<slug>``)."""
        return self.name.replace("_", "-")


TRANSITIONS: tuple[KycTransition, ...] = (
    KycTransition(name="submit", label="Submit for review", audit_action="kyc.submitted", prepare=True),
    KycTransition(name="start_review", label="Start review", audit_action="kyc.review_started",
                  admin_action="start_review_selected", admin_label="Start review of selected applications",
                  done="in review"),
    KycTransition(name="request_information", label="Request information", audit_action="kyc.information_requested",
                  reason_required=True),
    KycTransition(name="resubmit", label="Resubmit", audit_action="kyc.resubmitted", prepare=True),
    KycTransition(name="approve", label="Approve", audit_action="kyc.approved", admin_action="approve_selected",
                  admin_label="Approve selected applications", done="approved (or first approval recorded)"),
    KycTransition(name="reject", label="Reject", audit_action="kyc.rejected", reason_required=True,
                  reason_code=True),
)

#: In the order staff see them.
BY_NAME: dict[str, KycTransition] = by_name(TRANSITIONS)
#: What the admin's changelist offers, in table order.
IN_ADMIN: tuple[KycTransition, ...] = tuple(t for t in TRANSITIONS if t.admin_action is not None)
