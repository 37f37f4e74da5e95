"""The maker-checker seam: how the engine's staff entry points hand a sensitive action to the back
office's approvals instead of executing it, without the engine importing the back office.

``CORE_BANKING_MAKER_CHECKER`` is the dotted path of a *guard*, an object with two methods:

``submit(action: SensitiveAction) -> Deferred | None``
    ``None``: the caller may execute the action directly (the engine then calls its service).
    A ``Deferred``: an approval request was created instead; the route answers ``202 Accepted``
    with ``Deferred.body`` and ``Location: Deferred.location``. A refusal is a
    ``core_banking.common.errors.DomainError`` (nothing is written). A guard that defers should
    first run ``action.rehearse()``, so that input the direct route would refuse (a transition
    the state does not allow, a non-empty account, an unbalanced entry, ...) is refused at once
    with the same code.

``may_submit(action_type: str, user) -> bool``
    Whether ``user`` may ask for ``action_type`` at all (the admin offers only what one may fire).

The default guard, ``DIRECT``, executes everything directly: the engine on its own has no
approvals. The back office plugs in ``backoffice.approvals.guard.GUARD``.

Action types (the back office's registry keys): ``account_freeze``, ``account_unfreeze``,
``account_close``, ``ledger_adjustment``, ``reversal``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from rest_framework import serializers

TOKEN, SESSION, ADMIN = "token", "session", "admin"  # how the caller reached the entry point


@dataclass(frozen=True)
class SensitiveAction:
    action_type: str
    payload: dict[str, Any]  # the registry's payload (JSON-able, amounts as strings)
    actor: Any
    credential: str  # TOKEN (an API client's token), SESSION (a staff member's API session), ADMIN
    reason: str = ""
    execute: Callable[[], Any] | None = field(default=None, compare=False)  # the direct execution

    def rehearse(self) -> None:
        """Run the direct execution and roll it back: its refusals, none of its writes."""
        if self.execute is not None:
            rehearse(self.execute)


@dataclass(frozen=True)
class Deferred:
    request_id: int
    body: dict[str, Any]
    location: str


class _Rollback(Exception):
    pass


def rehearse(call: Callable[[], Any]) -> None:
    """Call ``call`` inside a savepoint that is always rolled back; a refusal propagates."""
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        pass


class DirectExecution:
    """No maker-checker: every action executes at once."""

    def submit(self, action: SensitiveAction) -> Deferred | None:
        return None

    def may_submit(self, action_type: str, user) -> bool:
        return True


DIRECT = DirectExecution()


@cache
def _guard(path: str):
    return import_string(path)


def guard():
    return _guard(getattr(settings, "CORE_BANKING_MAKER_CHECKER", "core_banking.common.maker_checker.DIRECT"))


def submit(action: SensitiveAction) -> Deferred | None:
    return guard().submit(action)


def credential_of(request) -> str:
    """TOKEN when a DRF request was authenticated with a token, SESSION otherwise."""
    return TOKEN if getattr(request, "auth", None) is not None else SESSION


# --- the 202 answer, for the engine's API views ----------------------------------------------


class PendingApprovalSerializer(serializers.Serializer):
    """What a deferred action answers (the approval request; ``GET`` its ``Location`` for more)."""

    id = serializers.IntegerField()
    action_type = serializers.CharField()
    status = serializers.CharField(help_text="`pending` until enough checkers approve.")
    summary = serializers.CharField()
    target_key = serializers.CharField()
    maker = serializers.CharField()
    required_approvals = serializers.IntegerField()
    approvals_count = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    payload = serializers.DictField()


def deferred_response(deferred: Deferred):
    from rest_framework.response import Response

    return Response(deferred.body, status=202, headers={"Location": deferred.location})
