"""The loan lifecycle's transition table: the one place that says, per action, how it is named in
refusals, in the audit trail and in the history, the reason the engine gives when it fires it on
its own, and whether staff fire it (its API route, its permission, its admin action, whether they
must give a reason).

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to); ``tests/core_banking/loans/test_transitions.py`` checks that the two agree. The services
(``services.py``: ``loan_<name>`` for each staff action), the API (``api/views.py``,
``api/urls.py``) and the admin (``admin.py``) read from here; none keeps its own list. Loans have no
maker-checker action type: approval is itself the second person (whoever applied cannot approve).

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name


@dataclass(frozen=True, kw_only=True)
class LoanTransition(Transition):
    #: The noun in a refusal: "<noun> is not allowed for a loan that is <status>".
    noun: str
    #: The path segment of ``POST /api/v1/loans/{id}/{slug}/`` (staff actions only; the service is
    #: ``services.loan_<name>``).
    slug: str | None = None
    #: The permission staff need (API, admin and service alike).
    permission: str | None = None
    #: The API operation's summary.
    summary: str = ""
    #: The refusal codes the API documents for it (422), besides the shared ones.
    codes: str = ""
    #: The admin's changelist action (``<name>_selected``) and the past participle of its message.
    admin_label: str | None = None
    done: str = ""
    #: Staff must give a reason (the API's body, the admin's reason field).
    reason_required: bool = False


TRANSITIONS: tuple[LoanTransition, ...] = (
    LoanTransition(name="approve", noun="approval", audit_action="loan.approved", slug="approve",
                   permission="loans.approve_loan", summary="Approve an application (generates the schedule)",
                   codes="`invalid_loan_application`", admin_label="Approve selected applications", done="approved"),
    LoanTransition(name="disburse", noun="disbursement", audit_action="loan.disbursed", slug="disburse",
                   permission="loans.disburse_loan",
                   summary="Disburse an approved loan into the customer's account",
                   codes="`invalid_loan_application`, `account_frozen`, `account_closed`, `kyc_not_approved`",
                   admin_label="Disburse selected approved loans", done="disbursed"),
    LoanTransition(name="activate", noun="activation", audit_action="loan.activated",
                   default_reason="first end of day"),
    LoanTransition(name="fall_into_arrears", noun="arrears", audit_action="loan.in_arrears"),
    LoanTransition(name="cure", noun="return to active", audit_action="loan.cured", default_reason="arrears repaid"),
    LoanTransition(name="mark_repaid", noun="repayment in full", audit_action="loan.repaid",
                   default_reason="repaid in full"),
    LoanTransition(name="write_off", noun="write-off", audit_action="loan.written_off", slug="write-off",
                   permission="loans.write_off_loan", summary="Write a loan off", codes="`invalid_loan_application`",
                   admin_label="Write selected loans off", done="written off", reason_required=True),
)

BY_NAME: dict[str, LoanTransition] = by_name(TRANSITIONS)
#: The staff actions on the API, in table order: slug -> transition.
BY_SLUG: dict[str, LoanTransition] = {t.slug: t for t in TRANSITIONS if t.slug is not None}
#: What the admin offers staff, in table order.
IN_ADMIN: tuple[LoanTransition, ...] = tuple(t for t in TRANSITIONS if t.admin_label is not None)
