"""The end-of-day run's transition table: the one place that says, per transition, what the audit
trail records and the reason its history records, and, for the re-run staff ask for, the
permission and the admin's action.

The model keeps its django-fsm ``@transition`` methods (which states a transition leaves from and
goes to); ``tests/core_banking/eod/test_transitions.py`` checks that the two agree. The services
(``services.py``: start and re-run, advancing to completion, failing) and the admin (``admin.py``)
read from here; none keeps its own list. Completing and failing are the engine's; a person (the
admin's action, ``POST /api/v1/eod/runs/`` for a failed date) or the beat schedule re-runs a
failed run. The end of day has no maker-checker action type.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name

from .roles import START


@dataclass(frozen=True, kw_only=True)
class EodTransition(Transition):
    # default_reason is "" where the service words it (a failure records the failed chunks' errors).
    #: The permission a person needs to fire it (API, admin and service alike).
    permission: str | None = None
    #: The admin's changelist action: its label (it also sends a stuck running run's chunks again).
    admin_label: str = ""


TRANSITIONS: tuple[EodTransition, ...] = (
    EodTransition(name="complete", audit_action="eod.completed", default_reason="all steps completed"),
    EodTransition(name="fail", audit_action="eod.failed"),
    EodTransition(name="resume", audit_action="eod.resumed", default_reason="re-run", permission=START,
                  admin_label="Re-run selected end-of-day runs (failed, or stuck running)"),
)

BY_NAME: dict[str, EodTransition] = by_name(TRANSITIONS)
COMPLETE, FAIL, RESUME = BY_NAME["complete"], BY_NAME["fail"], BY_NAME["resume"]
