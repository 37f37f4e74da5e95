"""The account lifecycle's transition table: the one place that says, per action, how it is
named on the API, in the admin, in messages and in the audit trail, whether it re-checks the
holder's KYC eligibility and whether it passes maker-checker.

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to); ``tests/core_banking/accounts/test_transitions.py`` checks that the two agree and that
every maker-checker action type here is registered in the approvals registry with an executor
that fires this transition. The services (``services.py``), the API (``api/serializers.py``,
``api/views.py``, ``api/urls.py``), the admin (``admin.py``) and the approvals registry
(``backoffice/approvals/registry.py``) read from here; none keeps its own list.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class AccountTransition:
    #: The action, also the name of the ``Account`` transition method, e.g. ``"block_debits"``.
    name: str
    #: The path segment of ``POST /api/v1/accounts/{id}/{slug}/``; ``None``: not on that route
    #: (``close`` has its own route, ``activate`` and ``mark_dormant`` are the engine's).
    slug: str | None
    #: For people: the admin's buttons and approval labels, e.g. ``"Block debits"``.
    label: str
    #: The past participle in messages ("<iban>: debit-blocked.").
    done: str
    #: The audit trail's action, e.g. ``"account.debits_blocked"``.
    audit_action: str
    #: Money may move again afterwards: the holder must still be an active customer with KYC approved.
    rechecks_kyc: bool = False
    #: The maker-checker action type (``backoffice/approvals/registry.py``), ``None`` when it acts at once.
    action_type: str | None = None
    #: Offered to staff (the admin's workflow panel), with a reason they must give.
    in_admin: bool = False
    #: Whoever fires it from the API, the admin or an approval request gives a reason.
    reason_required: bool = False


TRANSITIONS: tuple[AccountTransition, ...] = (
    AccountTransition(name="activate", slug=None, label="Activate", done="activated",
                      audit_action="account.activated", rechecks_kyc=True),
    AccountTransition(name="freeze", slug="freeze", label="Freeze", done="frozen", audit_action="account.frozen",
                      action_type="account_freeze", in_admin=True, reason_required=True),
    AccountTransition(name="unfreeze", slug="unfreeze", label="Unfreeze", done="unfrozen",
                      audit_action="account.unfrozen", rechecks_kyc=True, action_type="account_unfreeze",
                      in_admin=True, reason_required=True),
    AccountTransition(name="block_debits", slug="block-debits", label="Block debits", done="debit-blocked",
                      audit_action="account.debits_blocked", in_admin=True, reason_required=True),
    AccountTransition(name="block_credits", slug="block-credits", label="Block credits", done="credit-blocked",
                      audit_action="account.credits_blocked", in_admin=True, reason_required=True),
    AccountTransition(name="unblock", slug="unblock", label="Unblock", done="unblocked",
                      audit_action="account.unblocked", rechecks_kyc=True, in_admin=True, reason_required=True),
    AccountTransition(name="mark_dormant", slug=None, label="Mark dormant", done="marked dormant",
                      audit_action="account.dormant"),
    AccountTransition(name="reactivate", slug="reactivate", label="Reactivate", done="reactivated",
                      audit_action="account.reactivated", rechecks_kyc=True, in_admin=True, reason_required=True),
    AccountTransition(name="close", slug=None, label="Close", done="closed", audit_action="account.closed",
                      action_type="account_close", in_admin=True, reason_required=True),
)

#: ``close`` has its own service (``services.account_close``: the balance must be zero, the ledger
#: account stops taking postings) and its own route (``/accounts/{id}/close/``).
CLOSE = "close"

BY_NAME: dict[str, AccountTransition] = {t.name: t for t in TRANSITIONS}
#: The API's path segments, in table order: slug -> action.
BY_SLUG: dict[str, AccountTransition] = {t.slug: t for t in TRANSITIONS if t.slug is not None}
#: The maker-checker ones, in table order: action type -> transition.
BY_ACTION_TYPE: dict[str, AccountTransition] = {t.action_type: t for t in TRANSITIONS if t.action_type is not None}
#: What the admin offers staff, in table order.
IN_ADMIN: tuple[AccountTransition, ...] = tuple(t for t in TRANSITIONS if t.in_admin)
