"""What an action type is, its default policy, and the payload checks every action module uses.

An ``ActionType`` knows how to validate and normalize its payload (to a JSON-able dict: amounts
as decimal strings), what it is about (``target``: the key of the duplicate rule, "the same
action cannot be pending twice"), its amount for the policy's threshold, and how to execute it
(always through the owning app's service). Its ``defaults`` are the policy created on first use
(``services.policy_for``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core_banking.common.api.strict import PLAIN_DECIMAL

from . import exceptions as exc

Payload = dict[str, Any]
Result = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ActionType:
    code: str
    label: str
    validate: Callable[[Payload], Payload]
    target: Callable[[Payload], str]
    execute: Callable[..., Result]  # execute(payload, actor, *, request_id) -> result
    amount: Callable[[Payload], tuple[Decimal | None, str]] = lambda payload: (None, "")
    describe: Callable[[Payload], str] = lambda payload: ""
    defaults: dict[str, Any] = field(default_factory=dict)
    # The user who gains power from the action (a role's new holder): never its checker.
    beneficiary: Callable[[Payload], int | None] = lambda payload: None


def policy(*, initiators: Iterable[str], checkers: Iterable[str], required: int = 1, threshold: str | None = None,
           currency: str = "", hours: int = 72, exempt_below: str | None = None) -> dict[str, Any]:
    """An action type's default policy (created on first use; administrators tune it): who asks,
    who decides, how many approvals, one more above ``threshold``, none below ``exempt_below``."""
    return {"initiator_roles": list(initiators), "checker_roles": list(checkers), "required_approvals": required,
            "threshold_amount": Decimal(threshold) if threshold else None, "threshold_currency": currency,
            "expiry_hours": hours, "exempt_below": Decimal(exempt_below) if exempt_below else None}


# --- payload checks -----------------------------------------------------------------------------


def bad(detail: str, name: str = "payload") -> exc.InvalidApprovalPayload:
    return exc.InvalidApprovalPayload(detail, field=name)


def only(payload: Payload, allowed: set[str]) -> None:
    """Refuse a payload that is not an object, or names a field the action does not take."""
    if not isinstance(payload, dict):
        raise bad("the payload must be an object")
    unknown = set(payload) - allowed
    if unknown:
        raise exc.UnknownPayloadField(f"unknown field(s): {', '.join(sorted(unknown))}",
                                      field=f"payload.{sorted(unknown)[0]}")


def integer(payload: Payload, name: str) -> int:
    """A positive id, as a JSON integer or a string of ASCII digits (never ``"²"``)."""
    value = payload.get(name)
    text = str(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not (text.isascii() and text.isdigit()):
        raise bad(f"{name} must be a positive integer", name)
    number = int(value)
    if not 0 < number < 2**63:
        raise bad(f"{name} must be a positive integer", name)
    return number


def text(payload: Payload, name: str, *, required: bool = False, limit: int = 500) -> str:
    value = payload.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise bad(f"{name} must be text", name)
    value = value.strip()
    if required and not value:
        raise bad(f"{name} is required", name)
    if len(value) > limit:
        raise bad(f"{name} is longer than {limit} characters", name)
    return value


def decimal(value: Any, name: str) -> Decimal:
    """An amount as the API takes it: a plain decimal string (``"-10.50"``), never a float, an
    exponent, spaces or non-ASCII digits."""
    if not isinstance(value, str) or not PLAIN_DECIMAL.fullmatch(value):
        raise bad(f'{name} must be a plain decimal string such as "10.50"', name)
    return Decimal(value)


def iso_date(value: Any, name: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError) as error:
        raise bad(f"{name} must be an ISO date (YYYY-MM-DD)", name) from error


def digest(payload: Payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
