"""The action types maker-checker guards, each calling the engine's or the back office's own
service when it executes.

An ``ActionType`` knows how to validate and normalize its payload (to a JSON-able dict: amounts
as decimal strings), what it is about (``target``: the key of the duplicate rule, "the same
action cannot be pending twice"), its amount for the policy's threshold, and how to execute it.
Its ``defaults`` are the policy created on first use (``services.policy_for``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from backoffice.api_clients import approval_actions as api_clients
from backoffice.staff import roles
from compliance.monitoring import approval_actions as monitoring_actions
from core_banking.accounts import transitions as account_transitions
from core_banking.common.money import to_decimal

from . import exceptions as exc

Payload = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ActionType:
    code: str
    label: str
    validate: Callable[[Payload], Payload]
    target: Callable[[Payload], str]
    execute: Callable[..., dict[str, Any]]  # execute(payload, actor, *, request_id) -> result
    amount: Callable[[Payload], tuple[Decimal | None, str]] = lambda payload: (None, "")
    describe: Callable[[Payload], str] = lambda payload: ""
    defaults: dict[str, Any] = field(default_factory=dict)
    # The user who gains power from the action (a role's new holder): never its checker.
    beneficiary: Callable[[Payload], int | None] = lambda payload: None


# --- payload helpers ----------------------------------------------------------------------------


def _bad(detail: str, name: str = "payload") -> exc.InvalidApprovalPayload:
    return exc.InvalidApprovalPayload(detail, field=name)


def _int(payload: Payload, name: str) -> int:
    value = payload.get(name)
    text = str(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not (text.isascii() and text.isdigit()):
        raise _bad(f"{name} must be a positive integer", name)
    number = int(value)
    if not 0 < number < 2**63:
        raise _bad(f"{name} must be a positive integer", name)
    return number


def _text(payload: Payload, name: str, *, required: bool = False, limit: int = 500) -> str:
    value = payload.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(f"{name} must be text", name)
    value = value.strip()
    if required and not value:
        raise _bad(f"{name} is required", name)
    if len(value) > limit:
        raise _bad(f"{name} is longer than {limit} characters", name)
    return value


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise _bad(f"{name} must be a decimal string, not a float", name)
    try:
        return to_decimal(value)
    except Exception as error:  # noqa: BLE001 - any parse failure is the same refusal
        raise _bad(f"{name} is not a decimal amount", name) from error


def _unknown(payload: Payload, allowed: set[str]) -> None:
    if not isinstance(payload, dict):
        raise _bad("the payload must be an object")
    unknown = set(payload) - allowed
    if unknown:
        raise exc.UnknownPayloadField(f"unknown field(s): {', '.join(sorted(unknown))}",
                                      field=f"payload.{sorted(unknown)[0]}")


def _digest(payload: Payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


# --- manual ledger adjustment --------------------------------------------------------------------


def _adjustment_validate(payload: Payload) -> Payload:
    import datetime as dt

    from core_banking.ledger.models import LedgerAccount

    _unknown(payload, {"postings", "description", "external_ref", "metadata", "value_date"})
    postings = payload.get("postings")
    if not isinstance(postings, list) or len(postings) < 2:
        raise _bad("an adjustment needs at least two postings", "postings")
    legs, totals = [], {}
    ids = set()
    for index, leg in enumerate(postings):
        if not isinstance(leg, dict) or set(leg) - {"account_id", "amount", "currency"}:
            raise _bad(f"posting {index} must be {{account_id, amount[, currency]}}", "postings")
        account_id = _int(leg, "account_id")
        amount = _decimal(leg.get("amount"), "amount")
        if amount == 0:
            raise _bad(f"posting {index} has a zero amount", "postings")
        legs.append((index, account_id, amount, leg.get("currency")))
        ids.add(account_id)
    accounts = {a.pk: a for a in LedgerAccount.objects.filter(pk__in=ids)}
    if len(accounts) != len(ids):
        raise _bad(f"unknown ledger account(s): {sorted(ids - set(accounts))}", "postings")
    for index, account_id, amount, currency in legs:
        if currency not in (None, "", accounts[account_id].currency_id):
            raise _bad(f"posting {index} is in {currency}, its account in {accounts[account_id].currency_id}",
                       "postings")
        currency = accounts[account_id].currency_id
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    if any(total != 0 for total in totals.values()):
        raise _bad("the postings do not balance per currency (debits positive, credits negative)", "postings")
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise _bad("metadata must be an object", "metadata")
    value_date = payload.get("value_date") or None
    if value_date is not None:
        try:
            value_date = dt.date.fromisoformat(value_date).isoformat()
        except (TypeError, ValueError) as error:
            raise _bad("value_date must be an ISO date (YYYY-MM-DD)", "value_date") from error
    return {"postings": [{"account_id": a, "amount": str(m), "currency": accounts[a].currency_id}
                         for _i, a, m, _c in legs],
            "description": _text(payload, "description", required=True),
            "external_ref": _text(payload, "external_ref", limit=128),
            "metadata": metadata, "value_date": value_date}


def _adjustment_amount(payload: Payload) -> tuple[Decimal | None, str]:
    debits = [leg for leg in payload["postings"] if Decimal(leg["amount"]) > 0]
    currencies = {leg["currency"] for leg in debits}
    total = sum((Decimal(leg["amount"]) for leg in debits), Decimal(0))
    return total, (currencies.pop() if len(currencies) == 1 else "")


def _adjustment_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    import datetime as dt

    from core_banking.ledger import services as ledger

    value_date = payload.get("value_date")
    result = ledger.entry_post(
        kind="adjustment", postings=[{"account_id": leg["account_id"], "amount": Decimal(leg["amount"])}
                                     for leg in payload["postings"]],
        idempotency_key=f"approval:{request_id}", actor=actor, description=payload["description"],
        external_ref=payload.get("external_ref", ""),
        metadata={**(payload.get("metadata") or {}), "approval_request": request_id},
        value_date=dt.date.fromisoformat(value_date) if value_date else None)
    return {"entry_id": result.entry_id, "replayed": result.replayed}


# --- reversal -----------------------------------------------------------------------------------


def _reversal_validate(payload: Payload) -> Payload:
    from core_banking.ledger.models import JournalEntry

    _unknown(payload, {"entry_id", "reason"})
    entry_id = _int(payload, "entry_id")
    if not JournalEntry.objects.filter(pk=entry_id).exists():
        raise _bad(f"journal entry {entry_id} does not exist", "entry_id")
    return {"entry_id": entry_id, "reason": _text(payload, "reason", required=True)}


def _reversal_amount(payload: Payload) -> tuple[Decimal | None, str]:
    from core_banking.ledger.models import Posting

    rows = list(Posting.objects.filter(entry_id=payload["entry_id"], amount__gt=0).values_list("amount", "currency_id"))
    currencies = {currency for _amount, currency in rows}
    return sum((amount for amount, _c in rows), Decimal(0)), (currencies.pop() if len(currencies) == 1 else "")


def _reversal_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from core_banking.ledger import services as ledger

    result = ledger.entry_reverse(entry_id=payload["entry_id"], idempotency_key=f"approval:{request_id}",
                                  actor=actor, reason=payload["reason"])
    return {"entry_id": result.entry_id, "reverses": payload["entry_id"], "replayed": result.replayed}


# --- accounts: freeze, unfreeze, close -----------------------------------------------------------


def _account_validate(payload: Payload) -> Payload:
    from core_banking.accounts.models import Account

    _unknown(payload, {"account_id", "reason"})
    account_id = _int(payload, "account_id")
    if not Account.objects.filter(pk=account_id).exists():
        raise _bad(f"account {account_id} does not exist", "account_id")
    return {"account_id": account_id, "reason": _text(payload, "reason", required=True)}


def _account_target(payload: Payload) -> str:
    return f"account:{payload['account_id']}"


def _account_execute(action: str) -> Callable[..., dict[str, Any]]:
    """The executor of a maker-checker transition of the accounts' table: fires ``action``."""
    def execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
        from core_banking.accounts import services as accounts

        account = accounts.account_lifecycle(account_id=payload["account_id"], action=action, actor=actor,
                                             reason=payload["reason"])
        return {"account_id": account.pk, "status": account.status}
    return execute


def _account_describe(label: str) -> Callable[[Payload], str]:
    return lambda p: f"{label.lower()} account {p['account_id']}: {p['reason']}"


# --- release of a large payment ------------------------------------------------------------------


def _payment_validate(payload: Payload) -> Payload:
    from core_banking.payments.models import Payment

    _unknown(payload, {"payment_id", "reason"})
    payment_id = _int(payload, "payment_id")
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise _bad(f"payment {payment_id} does not exist", "payment_id")
    if payment.status != Payment.Status.PENDING_REVIEW:
        raise _bad(f"payment {payment.reference} is {payment.status}, not pending review", "payment_id")
    return {"payment_id": payment_id, "reason": _text(payload, "reason")}


def _payment_amount(payload: Payload) -> tuple[Decimal | None, str]:
    from core_banking.payments.models import Payment

    payment = Payment.objects.filter(pk=payload["payment_id"]).values_list("amount", "currency_id").first()
    return payment if payment else (None, "")


def _payment_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from core_banking.payments import services as payments

    payment = payments.payment_release(payment_id=payload["payment_id"], actor=actor,
                                       reason=payload["reason"] or f"approval request {request_id}")
    return {"payment_id": payment.pk, "reference": payment.reference, "status": payment.status,
            "entry_id": payment.entry_id}


# --- KYC override -------------------------------------------------------------------------------


def _kyc_validate(payload: Payload) -> Payload:
    from core_banking.customers.models import Customer

    _unknown(payload, {"customer_id", "status", "risk_rating", "reason"})
    customer_id = _int(payload, "customer_id")
    if not Customer.objects.filter(pk=customer_id).exists():
        raise _bad(f"customer {customer_id} does not exist", "customer_id")
    status = _text(payload, "status", required=True)
    if status not in Customer.KycStatus.values:
        raise _bad(f"unknown KYC status {status!r}", "status")
    risk = _text(payload, "risk_rating") or None
    if risk is not None and risk not in Customer.RiskRating.values:
        raise _bad(f"unknown risk rating {risk!r}", "risk_rating")
    return {"customer_id": customer_id, "status": status, "risk_rating": risk,
            "reason": _text(payload, "reason", required=True)}


def _kyc_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from core_banking.customers import services as customers

    customer = customers.customer_set_kyc_status(customer_id=payload["customer_id"], status=payload["status"],
                                                 risk_rating=payload["risk_rating"], actor=actor,
                                                 reason=payload["reason"])
    return {"customer_id": customer.pk, "kyc_status": customer.kyc_status, "risk_rating": customer.risk_rating}


# --- limit change -------------------------------------------------------------------------------


def _limit_fields(raw: Any) -> dict[str, Any]:
    from backoffice.limits.models import AMOUNT_LIMITS, COUNT_LIMITS
    from backoffice.limits.services import RULE_FIELDS

    if not isinstance(raw, dict) or not raw:
        raise _bad("fields must be a non-empty object of rule fields", "fields")
    unknown = set(raw) - set(RULE_FIELDS)
    if unknown:
        raise _bad(f"unknown rule field(s): {', '.join(sorted(unknown))}", "fields")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            out[name] = None
        elif name in AMOUNT_LIMITS:
            _decimal(value, name)  # refused unless a decimal amount; kept as given
            out[name] = value.strip() if isinstance(value, str) else str(value)
        elif name in COUNT_LIMITS:
            out[name] = _int({name: value}, name)
        else:
            out[name] = _text({name: value}, name)
    return out


def _limit_validate(payload: Payload) -> Payload:
    from backoffice.limits.models import LimitRule

    _unknown(payload, {"operation", "rule_id", "profile_code", "customer_id", "account_id", "fields", "reason"})
    operation = payload.get("operation")
    if operation == "delete":
        if payload.get("fields"):
            raise _bad("a deletion takes no fields", "fields")
        rule_id = _int(payload, "rule_id")
        if not LimitRule.objects.filter(pk=rule_id).exists():
            raise _bad(f"limit rule {rule_id} does not exist", "rule_id")
        return {"operation": "delete", "rule_id": rule_id, "reason": _text(payload, "reason", required=True)}
    fields = _limit_fields(payload.get("fields"))
    reason = _text(payload, "reason", required=True)
    if operation == "update":
        rule_id = _int(payload, "rule_id")
        if not LimitRule.objects.filter(pk=rule_id).exists():
            raise _bad(f"limit rule {rule_id} does not exist", "rule_id")
        return {"operation": "update", "rule_id": rule_id, "fields": fields, "reason": reason}
    if operation == "create":
        scope = {name: payload.get(name) for name in ("profile_code", "customer_id", "account_id")
                 if payload.get(name) not in (None, "")}
        if len(scope) != 1:
            raise _bad("name exactly one of profile_code, customer_id or account_id", "scope")
        ((name, value),) = scope.items()
        scope = {name: _text(payload, name).upper() if name == "profile_code" else _int(payload, name)}
        return {"operation": "create", **scope, "fields": fields, "reason": reason}
    raise _bad("operation must be create, update or delete", "operation")


def _limit_target(payload: Payload) -> str:
    if payload["operation"] in ("update", "delete"):
        return f"limit_rule:{payload['rule_id']}"
    scope = next(f"{k}={payload[k]}" for k in ("profile_code", "customer_id", "account_id") if k in payload)
    fields = payload["fields"]
    return f"limit_scope:{scope}:{fields.get('channel') or '*'}:{fields.get('currency') or '*'}"


def _limit_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from backoffice.limits import services as limits
    from backoffice.limits.models import AMOUNT_LIMITS

    if payload["operation"] == "delete":
        limits.rule_delete(rule_id=payload["rule_id"], actor=actor, reason=payload["reason"])
        return {"rule_id": payload["rule_id"], "operation": "delete"}
    fields = {k: (Decimal(v) if k in AMOUNT_LIMITS and v is not None else v) for k, v in payload["fields"].items()}
    if payload["operation"] == "update":
        rule = limits.rule_update(rule_id=payload["rule_id"], actor=actor, reason=payload["reason"], **fields)
    else:
        scope = {k: payload[k] for k in ("profile_code", "customer_id", "account_id") if k in payload}
        rule = limits.rule_create(actor=actor, **scope, **fields)
    return {"rule_id": rule.pk, "operation": payload["operation"]}


# --- tariff change ------------------------------------------------------------------------------


def _tariff_validate(payload: Payload) -> Payload:
    from backoffice.tariffs.models import TariffPlan, TariffVersion

    _unknown(payload, {"operation", "plan_id", "version_id", "name", "description", "is_active", "fields", "reason",
                       "effective_from", "note", "rules"})
    operation = payload.get("operation")
    reason = _text(payload, "reason", required=True)
    if operation == "version_create":
        import datetime as dt

        plan_id = _int(payload, "plan_id")
        if not TariffPlan.objects.filter(pk=plan_id).exists():
            raise _bad(f"tariff plan {plan_id} does not exist", "plan_id")
        try:
            effective_from = dt.date.fromisoformat(payload.get("effective_from") or "").isoformat()
        except (TypeError, ValueError) as error:
            raise _bad("effective_from must be an ISO date (YYYY-MM-DD)", "effective_from") from error
        rules = payload.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(r, dict) and r.get("event") for r in rules):
            raise _bad("rules must be a list of objects, each with at least an event", "rules")
        if any(isinstance(v, float) for r in rules for v in r.values()):
            raise _bad("amounts and rates must be decimal strings, not floats", "rules")
        return {"operation": operation, "plan_id": plan_id, "effective_from": effective_from,
                "note": _text(payload, "note"), "rules": rules, "reason": reason}
    if operation == "plan_update":
        plan_id = _int(payload, "plan_id")
        if not TariffPlan.objects.filter(pk=plan_id).exists():
            raise _bad(f"tariff plan {plan_id} does not exist", "plan_id")
        out: Payload = {"operation": operation, "plan_id": plan_id, "reason": reason}
        for name in ("name", "description"):
            if payload.get(name) is not None:
                out[name] = _text(payload, name, required=name == "name")
        if payload.get("is_active") is not None:
            if not isinstance(payload["is_active"], bool):
                raise _bad("is_active must be true or false", "is_active")
            out["is_active"] = payload["is_active"]
        if len(out) == 3:
            raise _bad("name, description or is_active must change", "payload")
        return out
    if operation == "rule_create":
        version_id = _int(payload, "version_id")
        if not TariffVersion.objects.filter(pk=version_id).exists():
            raise _bad(f"tariff version {version_id} does not exist", "version_id")
        fields = payload.get("fields")
        if not isinstance(fields, dict) or not fields.get("event"):
            raise _bad("fields must be an object with at least an event", "fields")
        if any(isinstance(v, float) for v in fields.values()):
            raise _bad("amounts and rates must be decimal strings, not floats", "fields")
        return {"operation": operation, "version_id": version_id, "fields": fields, "reason": reason}
    raise _bad("operation must be plan_update, version_create or rule_create", "operation")


def _tariff_target(payload: Payload) -> str:
    if payload["operation"] == "plan_update":
        return f"tariff_plan:{payload['plan_id']}"
    if payload["operation"] == "version_create":
        return f"tariff_plan:{payload['plan_id']}:version:{payload['effective_from']}"
    fields = payload["fields"]
    return f"tariff_version:{payload['version_id']}:{fields['event']}:{fields.get('channel') or '*'}"


def _tariff_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from backoffice.tariffs import services as tariffs

    if payload["operation"] == "plan_update":
        changes = {k: payload[k] for k in ("name", "description", "is_active") if k in payload}
        plan = tariffs.plan_update(plan_id=payload["plan_id"], actor=actor, reason=payload["reason"], **changes)
        return {"plan_id": plan.pk, "operation": "plan_update"}
    if payload["operation"] == "version_create":
        import datetime as dt

        version = tariffs.version_create(plan_id=payload["plan_id"], actor=actor, note=payload["note"],
                                         effective_from=dt.date.fromisoformat(payload["effective_from"]),
                                         rules=payload["rules"])
        return {"version_id": version.pk, "operation": "version_create"}
    rule = tariffs.rule_create(version_id=payload["version_id"], actor=actor, **payload["fields"])
    return {"rule_id": rule.pk, "operation": "rule_create"}


# --- the registry -------------------------------------------------------------------------------

OPS, FIN = roles.OPERATIONS, roles.FINANCE
REVIEWER, OFFICER = roles.COMPLIANCE_REVIEWER, roles.COMPLIANCE_OFFICER


def _policy(*, initiators, checkers, required: int = 1, threshold: str | None = None, currency: str = "",
            hours: int = 72, exempt_below: str | None = None) -> dict[str, Any]:
    """An action type's default policy (created on first use; administrators tune it): who asks,
    who decides, how many approvals, one more above ``threshold``, none below ``exempt_below``."""
    return {"initiator_roles": list(initiators), "checker_roles": list(checkers), "required_approvals": required,
            "threshold_amount": Decimal(threshold) if threshold else None, "threshold_currency": currency,
            "expiry_hours": hours, "exempt_below": Decimal(exempt_below) if exempt_below else None}


#: Who may ask for and who approves each maker-checker transition of the accounts' table
#: (``core_banking/accounts/transitions.py``, which names the action types).
_ACCOUNT_POLICIES = {
    "account_freeze": _policy(initiators=[OPS], checkers=[OFFICER, OPS], hours=24),
    "account_unfreeze": _policy(initiators=[OPS], checkers=[OFFICER], hours=24),
    "account_close": _policy(initiators=[OPS], checkers=[OPS, OFFICER]),
}

_TYPES = [
    ActionType(code="ledger_adjustment", label="Manual ledger adjustment", validate=_adjustment_validate,
               target=lambda p: f"adjustment:{_digest(p)}", execute=_adjustment_execute, amount=_adjustment_amount,
               describe=lambda p: p["description"],
               defaults=_policy(initiators=[FIN, OPS], checkers=[FIN, OFFICER], threshold="10000", currency="EUR",
                                hours=48)),
    ActionType(code="reversal", label="Reversal of a journal entry", validate=_reversal_validate,
               target=lambda p: f"entry:{p['entry_id']}", execute=_reversal_execute, amount=_reversal_amount,
               describe=lambda p: f"reverse entry {p['entry_id']}: {p['reason']}",
               defaults=_policy(initiators=[FIN, OPS], checkers=[FIN, OFFICER], threshold="10000", currency="EUR",
                                hours=48)),
    ActionType(code="limit_change", label="Limit change", validate=_limit_validate, target=_limit_target,
               execute=_limit_execute, describe=lambda p: f"limit rule {p['operation']}: {p['reason']}",
               defaults=_policy(initiators=[OPS], checkers=[OFFICER, FIN])),
    ActionType(code="tariff_change", label="Tariff change", validate=_tariff_validate, target=_tariff_target,
               execute=_tariff_execute, describe=lambda p: f"tariff {p['operation']}: {p['reason']}",
               defaults=_policy(initiators=[OPS], checkers=[FIN])),
    # "Freeze an account", "Unfreeze an account", "Close an account": executed by that transition.
    *(ActionType(code=code, label=f"{t.label} an account", validate=_account_validate, target=_account_target,
                 execute=_account_execute(t.name), describe=_account_describe(t.label),
                 defaults=_ACCOUNT_POLICIES[code])
      for code, t in account_transitions.BY_ACTION_TYPE.items()),
    ActionType(code="payment_release", label="Release of a large payment", validate=_payment_validate,
               target=lambda p: f"payment:{p['payment_id']}", execute=_payment_execute, amount=_payment_amount,
               describe=lambda p: f"release payment {p['payment_id']}",
               defaults=_policy(initiators=[OPS, REVIEWER], checkers=[OFFICER], threshold="50000", currency="EUR",
                                hours=24, exempt_below="50000")),
    ActionType(code="kyc_override", label="KYC status override", validate=_kyc_validate,
               target=lambda p: f"customer:{p['customer_id']}", execute=_kyc_execute,
               describe=lambda p: f"KYC of customer {p['customer_id']} to {p['status']}: {p['reason']}",
               defaults=_policy(initiators=[REVIEWER, OFFICER], checkers=[OFFICER])),
    ActionType(code="api_client_create", label="Create an API client", validate=api_clients.create_validate,
               target=api_clients.create_target, execute=api_clients.create_execute,
               describe=api_clients.create_describe,
               defaults=_policy(initiators=[roles.ADMINISTRATOR], checkers=[OFFICER]),
               beneficiary=lambda p: p.get("owner_id")),
    ActionType(code="api_client_change", label="Widen an API client", validate=api_clients.change_validate,
               target=api_clients.change_target, execute=api_clients.change_execute,
               describe=api_clients.change_describe,
               defaults=_policy(initiators=[roles.ADMINISTRATOR], checkers=[OFFICER])),
]



# --- staff role grants --------------------------------------------------------------------------


def _role_validate(payload: Payload) -> Payload:
    from backoffice.staff.services import role_validate

    _unknown(payload, {"user_id", "role", "reason"})
    user_id = _int(payload, "user_id")
    role = _text(payload, "role", required=True)
    role_validate(user_id=user_id, role=role)
    return {"user_id": user_id, "role": role, "reason": _text(payload, "reason", required=True)}


def _role_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from backoffice.staff.services import role_grant

    role_grant(user_id=payload["user_id"], role=payload["role"], actor=actor, reason=payload["reason"])
    return {"user_id": payload["user_id"], "role": payload["role"]}


def _role_describe(payload: Payload) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=payload["user_id"]).values_list("username", flat=True).first()
    return f"grant the {payload['role']} role to {user or payload['user_id']}: {payload['reason']}"


_TYPES.append(ActionType(code="role_grant", label="Grant a staff role", validate=_role_validate,
                         target=lambda p: f"user:{p['user_id']}:role:{p['role']}", execute=_role_execute,
                         describe=_role_describe,
                         defaults=_policy(initiators=[roles.ADMINISTRATOR], checkers=[OFFICER]),
                         beneficiary=lambda p: p["user_id"]))

# Transaction monitoring rules (compliance/monitoring/approval_actions.py): a compliance officer
# asks, another compliance officer approves (the maker never checks their own request).
_TYPES.append(ActionType(code="monitoring_rule_change", label="Transaction monitoring rule change",
                         validate=monitoring_actions.validate, target=monitoring_actions.target,
                         execute=monitoring_actions.execute, describe=monitoring_actions.describe,
                         defaults=_policy(initiators=[OFFICER], checkers=[OFFICER])))

ACTION_TYPES: dict[str, ActionType] = {t.code: t for t in _TYPES}
ACTION_TYPE_CHOICES: list[tuple[str, str]] = [(t.code, t.label) for t in _TYPES]


def action_type_get(code: str) -> ActionType:
    action = ACTION_TYPES.get(code)
    if action is None:
        raise exc.UnknownActionType(f"unknown action type {code!r}", action_type=code)
    return action
