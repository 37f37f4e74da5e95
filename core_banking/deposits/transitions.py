"""The term deposit lifecycle's transition table: the one place that says, per action, its audit
trail action, the reason the engine records when it fires it at maturity, and whether staff fire
it (its API route, its permission, its admin action, the reason they must give).

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to); ``tests/core_banking/deposits/test_transitions.py`` checks that the two agree. The
services (``services.py``), the API (``api/views.py``, ``api/urls.py``) and the admin
(``admin.py``) read from here; none keeps its own list. Deposits have no maker-checker action type.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name


@dataclass(frozen=True, kw_only=True)
class DepositTransition(Transition):
    # default_reason is "" where the service words its own (a roll-over names its successor).
    #: The path segment of ``POST /api/v1/deposits/{id}/{slug}/`` (staff actions only).
    slug: str | None = None
    #: The permission staff need (API, admin and service alike).
    permission: str | None = None
    #: The API operation's summary, and the admin's changelist action label.
    summary: str = ""
    admin_label: str | None = None
    #: The past participle of the admin's message ("2 deposit(s) withdrawn early.").
    done: str = ""
    #: Staff must give a reason (the API's body, the admin's reason field, the service).
    reason_required: bool = False


TRANSITIONS: tuple[DepositTransition, ...] = (
    DepositTransition(name="mature", audit_action="deposit.matured", default_reason="matured: paid out"),
    DepositTransition(name="roll_over", audit_action="deposit.rolled_over"),
    DepositTransition(name="withdraw_early", audit_action="deposit.withdrawn_early", slug="withdraw",
                      permission="deposits.withdraw_termdeposit", summary="Withdraw a deposit early",
                      admin_label="Withdraw selected deposits early (reason needed)", done="withdrawn early",
                      reason_required=True),
)

BY_NAME: dict[str, DepositTransition] = by_name(TRANSITIONS)
#: The staff actions on the API, in table order: slug -> transition.
BY_SLUG: dict[str, DepositTransition] = {t.slug: t for t in TRANSITIONS if t.slug is not None}
#: The early withdrawal: the one staff action (its own service, route and admin action).
WITHDRAW_EARLY = BY_NAME["withdraw_early"]
