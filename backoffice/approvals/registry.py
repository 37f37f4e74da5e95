"""The action types maker-checker guards, assembled from the modules the
``APPROVAL_ACTION_MODULES`` setting lists, in order (read once, when this module is imported).

Each listed module exports ``ACTIONS``, a list of ``ActionType`` (``action_type.py``); the
engine's actions are in ``backoffice/approvals/actions/`` (one module per area: ledger, accounts,
payments, customers), the back office's next to their app (``backoffice/limits/approval_actions.py``,
``compliance/monitoring/approval_actions.py``, ...). Every executor calls the owning app's own
service; a code listed twice is a configuration error found at start-up.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import exceptions as exc
from .action_type import ActionType

__all__ = ["ACTION_TYPES", "ACTION_TYPE_CHOICES", "ActionType", "action_type_get"]


def _assemble(modules: list[str]) -> dict[str, ActionType]:
    found: dict[str, ActionType] = {}
    for path in modules:
        for action in import_module(path).ACTIONS:
            if action.code in found:
                raise ImproperlyConfigured(f"APPROVAL_ACTION_MODULES: action type {action.code!r} is declared twice "
                                           f"(again in {path})")
            found[action.code] = action
    return found


ACTION_TYPES: dict[str, ActionType] = _assemble(settings.APPROVAL_ACTION_MODULES)
ACTION_TYPE_CHOICES: list[tuple[str, str]] = [(t.code, t.label) for t in ACTION_TYPES.values()]


def action_type_get(code: str) -> ActionType:
    action = ACTION_TYPES.get(code)
    if action is None:
        raise exc.UnknownActionType(f"unknown action type {code!r}", action_type=code)
    return action
