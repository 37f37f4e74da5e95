"""What every state machine's transition table says of each transition (``<app>/transitions.py``:
accounts, loans, deposits, payments, ledger holds, settlement (batches and suspense items), the end
of day, and beside the engine KYC, tickets, approvals, compliance cases and reconciliation
breaks). A table is a tuple of one dataclass per machine that extends :class:`Transition` with what that machine's
service, API, admin, staff pages and approvals read; ``tests/helpers.py::assert_table_is_the_models_transitions``
checks each against its model's django-fsm transitions (``docs/workflows.md`` lists them).

Pure data: no models are imported, so anything may import it at any time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True, kw_only=True)
class Transition:
    #: The model's django-fsm transition method (and, unless the table says otherwise, the history
    #: row's ``action``).
    name: str
    #: The audit trail's action, e.g. ``"loan.approved"``.
    audit_action: str
    #: The reason recorded when the system fires it and no one gave one ("" when a person gives theirs).
    default_reason: str = ""


T = TypeVar("T", bound=Transition)


def by_name(table: Iterable[T]) -> dict[str, T]:
    """The table by transition name, in table order."""
    return {t.name: t for t in table}
