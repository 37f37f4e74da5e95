"""The hold's transition table (two-phase transfers, ``Hold``): the one place that says, per
transition, what the audit trail records.

The model keeps its django-fsm ``@transition`` methods (which states a transition leaves from and
goes to); ``tests/core_banking/ledger/test_transitions.py`` checks that the two agree. The
services (``services.py``: ``hold_post``, ``hold_void``, ``holds_expire``) read from here. Posting
a hold writes its journal entry, which is the record of it (the entry is hash-chained and names the
hold in its metadata), so no audit row is written for it; voiding and expiring leave no entry and
are audited. Holds have no maker-checker action type: they are the API clients' and the payment
path's own two-phase transfers.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name


@dataclass(frozen=True, kw_only=True)
class HoldTransition(Transition):
    pass


TRANSITIONS: tuple[HoldTransition, ...] = (
    HoldTransition(name="mark_posted", audit_action=""),  # the journal entry is its record
    HoldTransition(name="mark_voided", audit_action="ledger.hold_voided"),
    HoldTransition(name="mark_expired", audit_action="ledger.hold_expired"),
)

BY_NAME: dict[str, HoldTransition] = by_name(TRANSITIONS)
POST, VOID, EXPIRE = BY_NAME["mark_posted"], BY_NAME["mark_voided"], BY_NAME["mark_expired"]
