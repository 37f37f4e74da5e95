"""``compliance.rescreen_customers``: screen every customer (and every business's beneficial
owners) against the active list versions, after a list version loads. Names are read set-based,
in batches by id; each new hit raises an alert (``alert_raise`` is idempotent, so a rerun, or a
customer already alerted on the same entry, adds nothing)."""

from __future__ import annotations

from celery import shared_task

from core_banking.customers.models import Customer, RelatedParty

from . import matching, services
from .models import ScreeningHit


def _subjects(batch_size: int):
    last = 0
    while True:
        rows = list(Customer.objects.filter(pk__gt=last).exclude(status=Customer.Status.CLOSED).order_by("pk")
                    .values_list("pk", "number", "type", "first_name", "last_name", "legal_name", "date_of_birth",
                                 "nationality", "incorporation_country")[:batch_size])
        if not rows:
            return
        last = rows[-1][0]
        business = {r[0]: r[1] for r in rows if r[2] == Customer.Type.BUSINESS}
        for pk, number, type_, first, last_name, legal, dob, nationality, incorporated in rows:
            if type_ == Customer.Type.PERSON:
                yield pk, number, f"{first} {last_name}", dob, [nationality]
            else:
                yield pk, number, legal, None, [incorporated]
        owners = (RelatedParty.objects.filter(business_id__in=list(business), role=RelatedParty.Role.BENEFICIAL_OWNER)
                  .values_list("pk", "business_id", "first_name", "last_name", "date_of_birth", "nationality",
                               "country_of_residence"))
        for pk, customer_id, first, last_name, dob, nationality, residence in owners:
            yield customer_id, f"{business[customer_id]}/owner/{pk}", f"{first} {last_name}", dob, [nationality,
                                                                                                    residence]


@shared_task(name="compliance.rescreen_customers")
def rescreen_customers(batch_size: int = 1000) -> dict:
    index = matching.current_index()
    screened = hits = new = 0
    for customer_id, reference, name, dob, countries in _subjects(batch_size):
        screened += 1
        candidates = index.search(name, date_of_birth=dob, countries=countries)
        if not candidates:
            continue
        _, found = services.record_hits(reference=reference, name=name, candidates=candidates,
                                        context=ScreeningHit.Context.RESCREEN, customer_id=customer_id)
        hits += len(found)
        new += sum(1 for h in found if h["created"])
    return {"screened": screened, "hits": hits, "new_hits": new, "versions": list(matching.active_version_ids())}
