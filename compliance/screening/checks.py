"""The payment check (``CORE_BANKING_PAYMENT_CHECKS``): screen the counterparty.

``COUNTERPARTY.check(intent)`` screens the counterparty name (with the country of its IBAN as
evidence) of a payment that has one (outgoing and incoming payments). A match or a possible match
holds the payment for review (``Review(code="sanctions_screening")``: the funds are held), records
the hits against the payment (``payment:<reference>``) and raises an alert, with the payment, on
the case of the bank's customer in the payment (the payer of an outgoing payment, the receiver of
an incoming one). It runs inside the payment's transaction: a refused payment leaves no hit.
"""

from __future__ import annotations

from backoffice.kyc import screening as kyc
from core_banking.payments.seams import PaymentIntent, Review

from . import matching, services
from .models import ScreeningHit

CODE = "sanctions_screening"


class CounterpartyCheck:
    code = CODE

    def check(self, intent: PaymentIntent) -> Review | None:
        name = (intent.counterparty_name or "").strip()
        if not name:
            return None
        candidates = matching.search(name, countries=[intent.counterparty_country])
        if not candidates:
            return None
        account = intent.creditor if intent.kind in ("incoming", "cash_deposit") else intent.debtor
        customer_id = account.customer_id if account is not None else None
        payment = intent.payment
        if payment is None:  # a preview: say what would happen, record nothing
            outcome, hits = kyc.worst(kyc.MATCH if c.score >= matching.thresholds()[0] else kyc.POSSIBLE_MATCH
                                      for c in candidates), [c.as_dict() for c in candidates]
        else:
            outcome, hits = services.record_hits(reference=f"payment:{payment.reference}", name=name,
                                                 candidates=candidates, context=ScreeningHit.Context.PAYMENT,
                                                 customer_id=customer_id, payment=payment)
        if outcome == kyc.CLEAR:
            return None
        top = hits[0]
        return Review(code=CODE, reason=f"counterparty {name!r} ~ {top['name']} on {top['list']} "
                                        f"({top['score']}, {outcome})",
                      details={"outcome": outcome, "hits": [{k: h.get(k) for k in (
                          "hit", "list", "external_id", "name", "score", "evidence")} for h in hits]})


COUNTERPARTY = CounterpartyCheck()
