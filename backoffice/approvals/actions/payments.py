"""The release of a large payment held for review, executed by
``core_banking.payments.services.payment_release``: its action type, label and refusal are the
payment transition table's (``core_banking/payments/transitions.py``)."""

from __future__ import annotations

from decimal import Decimal

from backoffice.staff.roles import COMPLIANCE_OFFICER, COMPLIANCE_REVIEWER, OPERATIONS
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from core_banking.payments.transitions import RELEASE

from ..action_type import ActionType, Payload, Result, bad, integer, only, policy, text


def validate(payload: Payload) -> Payload:
    only(payload, {"payment_id", "reason"})
    payment_id = integer(payload, "payment_id")
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise bad(f"payment {payment_id} does not exist", "payment_id")
    if payment.status != Payment.Status.PENDING_REVIEW:
        raise bad(f"payment {payment.reference} is {payment.status}, {RELEASE.refused}", "payment_id")
    return {"payment_id": payment_id, "reason": text(payload, "reason")}


def amount(payload: Payload) -> tuple[Decimal | None, str]:
    payment = Payment.objects.filter(pk=payload["payment_id"]).values_list("amount", "currency_id").first()
    return payment if payment else (None, "")


def execute(payload: Payload, actor, *, request_id: int) -> Result:
    payment = payments.payment_release(payment_id=payload["payment_id"], actor=actor,
                                       reason=payload["reason"] or f"approval request {request_id}")
    return {"payment_id": payment.pk, "reference": payment.reference, "status": payment.status,
            "entry_id": payment.entry_id}


ACTIONS = [
    ActionType(code=RELEASE.action_type, label=RELEASE.approval_label, validate=validate,
               target=lambda p: f"payment:{p['payment_id']}", execute=execute, amount=amount,
               describe=lambda p: f"{RELEASE.slug} payment {p['payment_id']}",
               defaults=policy(initiators=[OPERATIONS, COMPLIANCE_REVIEWER], checkers=[COMPLIANCE_OFFICER],
                               threshold="50000", currency="EUR", hours=24, exempt_below="50000")),
]
