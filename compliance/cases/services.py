"""Compliance cases: raising alerts (the one entry point for monitoring and screening).

``alert_raise`` is what every detector calls. It is idempotent on ``(source, dedup_key)`` and
safe under concurrency: two alerts of one customer at the same moment join the same case (the
database keeps one open case per customer), two identical alerts become one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core_banking.audit.services import audit_record

from .models import OPEN_STATES, Alert, Case, CaseStatusChange

# Hours to decide a case, by the score that opened it (overridable: COMPLIANCE_CASE_SLA_HOURS).
DEFAULT_SLA_HOURS = {80: 24, 50: 72, 0: 168}


def sla_hours(score: int) -> int:
    bands = {int(k): int(v) for k, v in getattr(settings, "COMPLIANCE_CASE_SLA_HOURS", DEFAULT_SLA_HOURS).items()}
    return next(hours for floor, hours in sorted(bands.items(), reverse=True) if score >= floor)


def _open_case(customer_id: int, score: int, now: dt.datetime) -> Case:
    case = Case.objects.select_for_update().filter(customer_id=customer_id, status__in=OPEN_STATES).first()
    if case is not None:
        return case
    try:
        with transaction.atomic():
            case = Case.objects.create(customer_id=customer_id, number=f"T{customer_id}.{now.timestamp():.0f}"[:20],
                                       score=score, due_at=now + dt.timedelta(hours=sla_hours(score)))
            case.number = f"CASE-{case.pk:07d}"
            case.save(update_fields=["number"])
            CaseStatusChange.objects.create(case=case, from_status="", to_status=Case.Status.OPEN, action="open",
                                            reason="first alert")
    except IntegrityError:  # a concurrent alert of this customer opened it first
        case = Case.objects.select_for_update().get(customer_id=customer_id, status__in=OPEN_STATES)
    return case


def alert_raise(*, customer_id: int, source: str, rule_code: str, summary: str, score: int, dedup_key: str,
                facts: dict[str, Any] | None = None, rule_version: int = 1, payment_id: int | None = None
                ) -> tuple[Alert, bool]:
    """Record an alert on the customer's open case (opening one); returns (alert, created).
    A second alert with the same ``(source, dedup_key)`` returns the first, unchanged."""
    if source not in Alert.Source.values:
        raise ValueError(f"unknown alert source {source!r}")
    score = max(0, min(100, int(score)))
    existing = Alert.objects.filter(source=source, dedup_key=dedup_key).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    with transaction.atomic():
        case = _open_case(customer_id, score, now)
        try:
            with transaction.atomic():
                alert = Alert.objects.create(case=case, customer_id=customer_id, source=source, rule_code=rule_code,
                                             rule_version=rule_version, score=score, summary=summary[:500],
                                             facts=facts or {}, payment_id=payment_id, dedup_key=dedup_key)
        except IntegrityError:
            return Alert.objects.get(source=source, dedup_key=dedup_key), False
        if score > case.score:
            case.score = score
            case.save(update_fields=["score"])
        audit_record(action="compliance.alert_raised", obj=alert,
                     after={"case": case.number, "source": source, "rule": rule_code, "version": rule_version,
                            "score": score, "payment": payment_id})
    return alert, True
