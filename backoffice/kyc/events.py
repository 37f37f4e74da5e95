"""``kyc.decided`` (``core_banking/events/catalogue.py``): an application approved or rejected,
written in the decision's transaction. The partner who onboarded the customer sees it."""

from __future__ import annotations

from core_banking.customers.models import Customer
from core_banking.events.services import emit

from .models import KycApplication


def kyc_decided(application: KycApplication, decision: str) -> None:
    customer = Customer.objects.filter(pk=application.customer_id).values("kyc_status", "created_by_id").get()
    emit("kyc.decided", aggregate_id=application.customer_id, audience=[customer["created_by_id"]], payload={
        "customer_id": application.customer_id, "application_id": application.pk, "decision": decision,
        "kyc_status": customer["kyc_status"], "risk_rating": application.risk_rating})
