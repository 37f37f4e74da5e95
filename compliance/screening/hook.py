"""The KYC screening hook (``KYC_SCREENING_HOOK = "compliance.screening.hook.screen"``).

``screen(subject)`` screens the subject's name (with its date of birth, country and nationality
as evidence) against the active versions of the active watch lists and answers ``match``,
``possible_match`` or ``clear`` (``backoffice/kyc/screening.py``), with the candidates in
``details``. Each candidate at or above the possible-match threshold is recorded as a
``ScreeningHit``; when the subject is a known customer (its reference is a customer number, or
``C.../owner/N`` for a business's beneficial owner, attributed to the business) an alert is raised
on the customer's case. A hit already cleared by a reviewer no longer counts; a confirmed one is
a match.
"""

from __future__ import annotations

from backoffice.kyc.screening import ScreeningResult, ScreeningSubject

from . import matching, services
from .models import ScreeningHit


def screen(subject: ScreeningSubject) -> ScreeningResult:
    candidates = matching.search(subject.name, date_of_birth=subject.date_of_birth,
                                 countries=[subject.country, subject.nationality])
    customer_id = services.customer_for_reference(subject.reference)
    outcome, hits = services.record_hits(reference=subject.reference, name=subject.name, candidates=candidates,
                                         context=ScreeningHit.Context.KYC, customer_id=customer_id)
    counted = [h for h in hits if h["status"] != ScreeningHit.Status.CLEARED]
    if counted:
        top = counted[0]
        detail = f"{len(counted)} hit(s); best: {top['name']} on {top['list']} ({top['score']}, {top['outcome']})"
    elif hits:
        detail = f"{len(hits)} candidate(s), all cleared by a reviewer"
    else:
        detail = "no candidate on the active watch lists"
    return ScreeningResult(outcome=outcome, detail=detail,
                           details={"hits": hits, "thresholds": dict(zip(("match", "possible_match"),
                                                                         matching.thresholds(), strict=True))})
