"""Maker-checker, enforced where the action happens: the guard seam every sensitive service calls
before it acts, without the engine importing the back office.

A sensitive service (ledger adjustment and reversal, account freeze/unfreeze/close, limit and
tariff changes, release of a large payment, creating or widening an API client) wraps its body::

    def account_close(*, account_id, actor=None, reason=""):
        return guarded("account_close", payload={...}, actor=actor, reason=reason,
                       execute=lambda: _account_close(account_id=account_id, actor=actor, reason=reason))

``guarded`` executes the body at once only when

* the approvals executor is running an approved request of this action type
  (``approved_execution``; nothing else may enter it), or
* engine-internal code runs it on its own account (``system_execution``: a term deposit's
  maturity closing its own account, demo data), or
* the configured guard says no approval is needed (the policy exempts small amounts, or no
  back office is plugged in).

Otherwise it returns a ``Deferred``: the approval request the guard created (the route answers
``202 Accepted`` with ``Deferred.body`` and ``Location: Deferred.location``). Every caller, API
token, staff session, admin action or management command, goes through the same gate.

``CORE_BANKING_MAKER_CHECKER`` is the dotted path of the *guard* (a seam declared in
``core_banking.common.seams``), an object with

``submit(action: SensitiveAction) -> Deferred | None``
    ``None``: execute directly. A ``Deferred``: an approval request was created instead. A
    refusal is a ``core_banking.common.errors.DomainError`` (nothing is written). A guard that
    defers first runs ``action.rehearse()``, so that input the direct execution would refuse (a
    transition the state does not allow, a non-empty account, an unbalanced entry, ...) is
    refused at once with the same code.

``may_submit(action_type: str, user) -> bool``
    Whether ``user`` may ask for ``action_type`` at all (the admin offers only what one may fire).

The default guard, ``DIRECT``, executes everything directly: the engine on its own has no
approvals. The back office plugs in ``backoffice.approvals.guard.GUARD``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from rest_framework import serializers

from .seams import seam

TOKEN, SESSION, ADMIN = "token", "session", "admin"  # how the caller reached the entry point


@dataclass(frozen=True)
class SensitiveAction:
    action_type: str
    payload: dict[str, Any]  # the registry's payload (JSON-able, amounts as strings)
    actor: Any
    credential: str = ""  # TOKEN, SESSION, ADMIN (how the caller came in; informational)
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


def guard():
    """The configured guard (``CORE_BANKING_MAKER_CHECKER``, resolved by ``common.seams``)."""
    return seam("CORE_BANKING_MAKER_CHECKER")


def submit(action: SensitiveAction) -> Deferred | None:
    return guard().submit(action)


_SYSTEM = "__system__"
_passage: ContextVar[str | None] = ContextVar("maker_checker_passage", default=None)


@contextmanager
def approved_execution(action_type: str) -> Iterator[None]:
    """The approvals executor runs an approved request of ``action_type`` inside this (only)."""
    token = _passage.set(action_type)
    try:
        yield
    finally:
        _passage.reset(token)


@contextmanager
def system_execution() -> Iterator[None]:
    """Engine-internal actions on the engine's own behalf (no person asked for them): a matured
    term deposit closing its own account, demo data. Never used on a path a person drives."""
    token = _passage.set(_SYSTEM)
    try:
        yield
    finally:
        _passage.reset(token)


def guarded(action_type: str, *, payload: dict[str, Any], actor, execute: Callable[[], Any], reason: str = "",
            credential: str = "") -> Any:
    """Run ``execute`` if the gate lets this action through now, else return the ``Deferred``."""
    if passes(action_type):
        return execute()
    deferred = submit(SensitiveAction(action_type=action_type, payload=payload, actor=actor, credential=credential,
                                      reason=reason, execute=open_gate(action_type, execute)))
    if deferred is not None:
        return deferred
    return open_gate(action_type, execute)()


def passes(action_type: str) -> bool:
    """Whether ``action_type`` may execute right now (an approved or exempt execution of it, or
    engine-internal work); for lower layers that must refuse an unguarded path."""
    return _passage.get() in (action_type, _SYSTEM)


def open_gate(action_type: str, execute: Callable[[], Any]) -> Callable[[], Any]:
    """``execute`` wrapped to run with the gate open for ``action_type`` (the guard's rehearsal and
    the execution it allowed; see ``backoffice/approvals/guard.py``)."""

    def run():
        token = _passage.set(action_type)
        try:
            return execute()
        finally:
            _passage.reset(token)
    return run


def jsonable(value: Any) -> Any:
    """A payload as an approval request keeps it: JSON, amounts as decimal strings, dates ISO."""
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "code") and not isinstance(value, str):  # a Currency row
        return value.code
    return value


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
    next_step = serializers.CharField(help_text="What happens next: who must approve, by when.")


def deferred_response(deferred: Deferred):
    from rest_framework.response import Response

    return Response(deferred.body, status=202, headers={"Location": deferred.location})
