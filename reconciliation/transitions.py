"""The reconciliation break's transition table: the one place that says, per action, what the
audit trail records, the reason its history records when none is given, the permission it needs
and the refusals, its API route and summary, and how the staff break page names it.

The model keeps its django-fsm ``@transition`` methods (which states an action leaves from and
goes to); ``tests/reconciliation/test_transitions.py`` checks that the two agree. The services
(``services.py``: ``break_investigate``, ``break_write_off``, ``break_resolve_by_adjustment`` and
assigning, which starts the investigation), the API (``api/views.py``) and the staff break page
(``staff/views.py``) read from here; none keeps its own list. Resolving posts a ledger adjustment,
which passes the ledger's maker-checker (``ledger_adjustment``); the break has no action type of
its own.

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.common.transitions import Transition, by_name

from .roles import RESOLVE_BREAK, WORK_BREAK


@dataclass(frozen=True, kw_only=True)
class BreakTransition(Transition):
    # name is also the staff page's action (``/staff/reconciliation/breaks/<id>/<name>/``).
    #: The refusal when the break is in another state: "a <status> break cannot <verb>".
    verb: str
    #: The permission staff need (API, staff page and service alike) and the refusal without it.
    permission: str
    permission_refusal: str
    #: What the refusal says when no reason is given ("" when none is required).
    reason_refusal: str = ""
    #: The path segment of ``POST /api/v1/reconciliation/breaks/{id}/<slug>/`` and the operation's summary.
    slug: str
    summary: str = ""
    #: The staff break page: the section's title and its message once done ("{pk}": the break).
    label: str
    done: str

    @property
    def reason_required(self) -> bool:
        return bool(self.reason_refusal)


TRANSITIONS: tuple[BreakTransition, ...] = (
    BreakTransition(name="investigate", audit_action="reconciliation.break_investigate",
                    default_reason="investigation started", verb="investigate", permission=WORK_BREAK,
                    permission_refusal="you may not work breaks", slug="investigate",
                    summary="Start investigating an open break", label="Investigate",
                    done="Break {pk}: investigating."),
    BreakTransition(name="resolve", audit_action="reconciliation.break_resolve", verb="resolve",
                    permission=RESOLVE_BREAK, permission_refusal="you may not resolve breaks",
                    reason_refusal="a reason is required", slug="resolve",
                    summary="Resolve a break by a ledger adjustment (maker-checker: 202 with the approval request)",
                    label="Resolve by adjustment", done="Break {pk} resolved by adjustment (entry {entry})."),
    BreakTransition(name="write_off", audit_action="reconciliation.break_write_off", verb="write off",
                    permission=RESOLVE_BREAK, permission_refusal="you may not write off breaks",
                    reason_refusal="a reason is required", slug="write-off", label="Write off",
                    done="Break {pk} written off."),
)

BY_NAME: dict[str, BreakTransition] = by_name(TRANSITIONS)
INVESTIGATE, RESOLVE, WRITE_OFF = BY_NAME["investigate"], BY_NAME["resolve"], BY_NAME["write_off"]
