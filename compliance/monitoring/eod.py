"""Transaction monitoring's end-of-day step (the contract: ``core_banking/eod/step.py``).

``BATCH`` (``compliance.monitoring.eod.BATCH``): after business date ``D`` closed, the customers
who had monitored payments on ``D`` (``MonitoredFlow.business_date = D``, index
``(business_date, customer)``) have the aggregate rules in force on ``D`` evaluated over the
complete day: ``cash_threshold`` (the day's cash total), ``structuring`` (the band count over
the ``window_days`` ending on ``D``), ``velocity`` (the window ending at ``D``'s cut-off, or the
days ending on ``D``) and ``rapid_in_out`` (the hours before ``D``'s cut-off). The real-time check
sees each payment as it comes; the batch sees the day whole (payments that were released later,
rules activated during the day, customers whose segment changed).

A rule that fires raises one alert per (customer, rule version, date): dedup key
``eod:<D>:<customer>:<rule>:<version>``, so a re-run of a chunk changes nothing. A pattern the
real-time check already alerted on for a payment of ``D`` (same customer, rule and version) is
not raised again. Each alert is its own transaction (``alert_raise``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from compliance.cases.models import Alert
from compliance.cases.services import alert_raise
from core_banking.customers.models import Customer
from core_banking.eod.step import Step
from core_banking.ledger.selectors import business_date_cutoff

from . import engine
from .kinds import AGGREGATE_KINDS, Kind
from .models import MonitoredFlow


def population(business_date: dt.date) -> list[int]:
    return list(MonitoredFlow.objects.filter(business_date=business_date)
                .order_by("customer_id").values_list("customer_id", flat=True).distinct())


def _hit(version, customer_id: int, date: dt.date, end: dt.datetime):
    kind = version.rule.kind
    if kind == Kind.CASH_THRESHOLD:
        return engine.cash_day_hit(version, customer_id, date)
    if kind == Kind.STRUCTURING:
        return engine.structuring_hit(version, customer_id, date)
    if kind == Kind.VELOCITY:
        return engine.velocity_hit(version, customer_id, end, date)
    if kind == Kind.RAPID_IN_OUT:
        return engine.rapid_hit(version, customer_id, end)
    return None


def run(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Evaluate the aggregate rules for the chunk's customers; returns how many customers."""
    versions = engine.versions_in_force(business_date, AGGREGATE_KINDS)
    ids = [i for i in population(business_date) if first_id <= i <= last_id]
    if not ids or not versions:
        return len(ids)
    end = business_date_cutoff(business_date) or timezone.now()
    customers = Customer.objects.in_bulk(ids)
    for customer_id in ids:
        customer = customers.get(customer_id)
        if customer is None:
            continue
        for version in versions:
            if not engine.applies_to(version, customer):
                continue
            hit = _hit(version, customer_id, business_date, end)
            if hit is None:
                continue
            if Alert.objects.filter(source="monitoring", customer_id=customer_id, rule_code=version.rule.code,
                                    rule_version=version.version, payment__business_date=business_date).exists():
                continue  # already alerted in real time on a payment of that day
            alert_raise(customer_id=customer_id, source="monitoring", rule_code=version.rule.code,
                        rule_version=version.version, score=version.score,
                        summary=f"{version.rule.name} (end of day {business_date.isoformat()}): {hit.summary}",
                        facts={**hit.facts, "rule_kind": version.rule.kind, "batch": True,
                               "business_date": business_date.isoformat()},
                        dedup_key=f"eod:{business_date.isoformat()}:{customer_id}:{version.rule.code}:{version.version}")
    return len(ids)


BATCH = Step(name="compliance.monitoring", label="Transaction monitoring (batch)", population=population, run=run)
