"""The override of a customer's KYC status and risk rating, executed by
``core_banking.customers.services.customer_set_kyc_status``."""

from __future__ import annotations

from backoffice.staff.roles import COMPLIANCE_OFFICER, COMPLIANCE_REVIEWER
from core_banking.customers import services as customers
from core_banking.customers.models import Customer

from ..action_type import ActionType, Payload, Result, bad, integer, only, policy, text


def validate(payload: Payload) -> Payload:
    only(payload, {"customer_id", "status", "risk_rating", "reason"})
    customer_id = integer(payload, "customer_id")
    if not Customer.objects.filter(pk=customer_id).exists():
        raise bad(f"customer {customer_id} does not exist", "customer_id")
    status = text(payload, "status", required=True)
    if status not in Customer.KycStatus.values:
        raise bad(f"unknown KYC status {status!r}", "status")
    risk = text(payload, "risk_rating") or None
    if risk is not None and risk not in Customer.RiskRating.values:
        raise bad(f"unknown risk rating {risk!r}", "risk_rating")
    return {"customer_id": customer_id, "status": status, "risk_rating": risk,
            "reason": text(payload, "reason", required=True)}


def execute(payload: Payload, actor, *, request_id: int) -> Result:
    customer = customers.customer_set_kyc_status(customer_id=payload["customer_id"], status=payload["status"],
                                                 risk_rating=payload["risk_rating"], actor=actor,
                                                 reason=payload["reason"])
    return {"customer_id": customer.pk, "kyc_status": customer.kyc_status, "risk_rating": customer.risk_rating}


ACTIONS = [
    ActionType(code="kyc_override", label="KYC status override", validate=validate,
               target=lambda p: f"customer:{p['customer_id']}", execute=execute,
               describe=lambda p: f"KYC of customer {p['customer_id']} to {p['status']}: {p['reason']}",
               defaults=policy(initiators=[COMPLIANCE_REVIEWER, COMPLIANCE_OFFICER], checkers=[COMPLIANCE_OFFICER])),
]
