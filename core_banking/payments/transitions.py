"""The payment lifecycle's transition table: the one place that says, per transition, what the
audit trail records, and, for those staff fire (release, reject, return), its API route, service,
permission, summary and refusals, whether a reason is required, its admin action and whether it
passes maker-checker.

The model keeps its django-fsm ``@transition`` methods (which states a transition leaves from and
goes to); ``tests/core_banking/payments/test_transitions.py`` checks that the two agree. The
review services (``services/review.py``), the API (``api/views.py``, ``api/urls.py``), the admin
(``admin.py``) and the approvals registry (``backoffice/approvals/actions/payments.py``) read from
here; none keeps its own list. ``mark_posted`` and ``hold_for_review`` are fired by
``services.payment_create`` in the payment's own transaction, ``mark_sent`` and ``mark_settled`` by
``core_banking/settlement`` (a batch's file sent, then accepted); they record no audit row of the
payment's own (settlement audits its batches and files).

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name

#: The permissions staff need to fire a staff transition (API, admin and service alike).
REVIEW_PAYMENT = "payments.review_payment"
RETURN_PAYMENT = "payments.return_payment"


@dataclass(frozen=True, kw_only=True)
class PaymentTransition(Transition):
    # audit_action is "" for those settlement fires (no audit row of the payment's own).
    #: The path segment of ``POST /api/v1/payments/{id}/{slug}/`` (staff transitions only) and the
    #: service it calls (``services.<service>``).
    slug: str | None = None
    service: str | None = None
    #: The permission staff need (API, admin and service alike).
    permission: str | None = None
    #: The API operation's summary.
    summary: str = ""
    #: The end of the refusal when the payment is in another state: "payment <ref> is <status>, <refused>".
    refused: str = ""
    #: Staff must give a reason, and what the refusal says when they give none.
    reason_required: bool = False
    reason_refusal: str = ""
    #: The admin's changelist action (``<slug>_selected``): its label, the past participle of its
    #: message and the reason it records.
    admin_label: str | None = None
    done: str = ""
    admin_reason: str = ""
    #: The maker-checker action type (``backoffice/approvals/actions/payments.py``) and its label: at
    #: or above its policy's exemption the service returns the approval request instead.
    action_type: str | None = None
    approval_label: str = ""


TRANSITIONS: tuple[PaymentTransition, ...] = (
    PaymentTransition(name="mark_posted", audit_action="payment.posted"),
    PaymentTransition(name="hold_for_review", audit_action="payment.held_for_review"),
    PaymentTransition(name="release", audit_action="payment.released", default_reason="released", slug="release",
                      service="payment_release", permission=REVIEW_PAYMENT,
                      summary="Release a payment held for review (it posts)", refused="not pending review",
                      admin_label="Release selected payments held for review", done="released",
                      admin_reason="released in the admin", action_type="payment_release",
                      approval_label="Release of a large payment"),
    PaymentTransition(name="reject", audit_action="payment.rejected", slug="reject", service="payment_reject",
                      permission=REVIEW_PAYMENT, summary="Reject a payment held for review (the hold is voided)",
                      refused="not pending review", reason_required=True,
                      reason_refusal="a rejection needs a reason",
                      admin_label="Reject selected payments held for review", done="rejected",
                      admin_reason="rejected in the admin"),
    PaymentTransition(name="mark_returned", audit_action="payment.returned", slug="return", service="payment_return",
                      permission=RETURN_PAYMENT, summary="Return an external payment", refused="not posted",
                      reason_required=True, reason_refusal="a return needs a reason"),
    PaymentTransition(name="mark_sent", audit_action=""),
    PaymentTransition(name="mark_settled", audit_action=""),
)

BY_NAME: dict[str, PaymentTransition] = by_name(TRANSITIONS)
#: The staff transitions on the API, in table order: slug -> transition.
BY_SLUG: dict[str, PaymentTransition] = {t.slug: t for t in TRANSITIONS if t.slug is not None}
#: What the admin offers staff, in table order.
IN_ADMIN: tuple[PaymentTransition, ...] = tuple(t for t in TRANSITIONS if t.admin_label is not None)
#: The maker-checker ones, in table order: action type -> transition.
BY_ACTION_TYPE: dict[str, PaymentTransition] = {t.action_type: t for t in TRANSITIONS if t.action_type is not None}
#: The staff transitions, each with its own service.
RELEASE, REJECT, RETURN = BY_NAME["release"], BY_NAME["reject"], BY_NAME["mark_returned"]
