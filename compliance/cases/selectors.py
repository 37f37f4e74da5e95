"""Compliance case reads: the queue (alerts and cases by age, score, assignee), ageing buckets,
a case with everything its page shows, and what a user may see and fire."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import Q, QuerySet, Value, When
from django.utils import timezone

from core_banking.common.money import quantize
from core_banking.customers import pii

from . import exceptions as exc
from . import transitions
from .models import (
    DECIDE,
    OPEN_STATES,
    VIEW_REPORT,
    Alert,
    Case,
    CaseAttachment,
    SuspiciousActivityReport,
    case_may_work,
)

#: Ageing buckets of the queue: (code, label, lower bound in days, upper bound or None).
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-1d", "Up to 1 day", 0, 1),
    ("1-3d", "1 to 3 days", 1, 3),
    ("3-7d", "3 to 7 days", 3, 7),
    ("7d+", "Over 7 days", 7, None),
)
BUCKET_CODES = tuple(code for code, *_ in AGE_BUCKETS)

CASE_ORDERINGS = {
    "age": ("opened_at", "id"), "-age": ("-opened_at", "-id"),
    "score": ("score", "id"), "-score": ("-score", "id"),
    "due": ("due_at", "id"), "-due": ("-due_at", "-id"),
    "assignee": ("assignee__username", "id"),
}
ALERT_ORDERINGS = {
    "age": ("created_at", "id"), "-age": ("-created_at", "-id"),
    "score": ("score", "id"), "-score": ("-score", "id"),
}


def _bucket_annotation(field: str, now: dt.datetime):
    """``age_bucket``: the bucket code of ``field`` (the time the case opened / the alert was raised)."""
    whens = []
    for code, _label, _low, high in AGE_BUCKETS:
        if high is None:
            break
        whens.append(When(**{f"{field}__gt": now - dt.timedelta(days=high)}, then=Value(code)))
    return CaseWhen(*whens, default=Value(AGE_BUCKETS[-1][0]))


def _bucket_filter(field: str, bucket: str, now: dt.datetime) -> Q:
    for code, _label, low, high in AGE_BUCKETS:
        if code == bucket:
            q = Q(**{f"{field}__lte": now - dt.timedelta(days=low)})
            if high is not None:
                q &= Q(**{f"{field}__gt": now - dt.timedelta(days=high)})
            return q
    raise ValueError(f"unknown age bucket {bucket!r}")


def age_bucket(opened_at: dt.datetime, now: dt.datetime | None = None) -> str:
    days = ((now or timezone.now()) - opened_at).total_seconds() / 86400
    return next(code for code, _label, _low, high in AGE_BUCKETS if high is None or days < high)


def case_search(*, status: str = "", open_only: bool = False, assignee_id: int | None = None,
                unassigned: bool | None = None, customer_id: int | None = None, min_score: int | None = None,
                bucket: str = "", overdue: bool | None = None, ordering: str = "age",
                now: dt.datetime | None = None) -> QuerySet[Case]:
    """The case queue: filtered, annotated with ``age_bucket`` and ordered (``CASE_ORDERINGS``)."""
    now = now or timezone.now()
    cases = Case.objects.all()
    if status:
        cases = cases.filter(status=status)
    if open_only:
        cases = cases.filter(status__in=OPEN_STATES)
    if assignee_id is not None:
        cases = cases.filter(assignee_id=assignee_id)
    if unassigned is not None:
        cases = cases.filter(assignee__isnull=unassigned)
    if customer_id is not None:
        cases = cases.filter(customer_id=customer_id)
    if min_score is not None:
        cases = cases.filter(score__gte=min_score)
    if bucket:
        cases = cases.filter(_bucket_filter("opened_at", bucket, now))
    if overdue is not None:
        late = Q(due_at__lte=now, status__in=OPEN_STATES)
        cases = cases.filter(late) if overdue else cases.exclude(late)
    cases = cases.annotate(age_bucket=_bucket_annotation("opened_at", now))
    return cases.select_related("customer", "assignee").order_by(*CASE_ORDERINGS.get(ordering, CASE_ORDERINGS["age"]))


def alert_search(*, status: str = "", source: str = "", customer_id: int | None = None,
                 min_score: int | None = None, case_id: int | None = None, bucket: str = "",
                 ordering: str = "age", now: dt.datetime | None = None) -> QuerySet[Alert]:
    now = now or timezone.now()
    alerts = Alert.objects.all()
    for field, value in (("status", status), ("source", source)):
        if value:
            alerts = alerts.filter(**{field: value})
    if customer_id is not None:
        alerts = alerts.filter(customer_id=customer_id)
    if case_id is not None:
        alerts = alerts.filter(case_id=case_id)
    if min_score is not None:
        alerts = alerts.filter(score__gte=min_score)
    if bucket:
        alerts = alerts.filter(_bucket_filter("created_at", bucket, now))
    alerts = alerts.annotate(age_bucket=_bucket_annotation("created_at", now))
    return (alerts.select_related("case", "customer", "payment", "decided_by")
            .order_by(*ALERT_ORDERINGS.get(ordering, ALERT_ORDERINGS["age"])))


def ageing_summary(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Open cases per ageing bucket (and how many of them are past their SLA)."""
    now = now or timezone.now()
    rows = []
    open_cases = Case.objects.filter(status__in=OPEN_STATES)
    for code, label, _low, _high in AGE_BUCKETS:
        in_bucket = open_cases.filter(_bucket_filter("opened_at", code, now))
        rows.append({"bucket": code, "label": label, "cases": in_bucket.count(),
                     "overdue": in_bucket.filter(due_at__lte=now).count()})
    return rows


def case_get(case_id: int) -> Case:
    case = Case.objects.select_related("customer", "assignee").filter(pk=case_id).first()
    if case is None:
        raise exc.CaseNotFound(f"compliance case {case_id} does not exist")
    return case


def alert_get(alert_id: int) -> Alert:
    alert = Alert.objects.select_related("case", "customer", "payment", "decided_by").filter(pk=alert_id).first()
    if alert is None:
        raise exc.AlertNotFound(f"compliance alert {alert_id} does not exist")
    return alert


def case_alerts(case: Case) -> QuerySet[Alert]:
    return case.alerts.select_related("payment", "payment__debtor_account", "payment__creditor_account",
                                      "payment__currency", "decided_by").order_by("created_at", "id")


def case_payments(case: Case) -> list:
    """The payments that fired the case's alerts, each once, oldest first."""
    seen = {}
    for alert in case_alerts(case):
        if alert.payment_id is not None:
            seen.setdefault(alert.payment_id, alert.payment)
    payments = [seen[pk] for pk in sorted(seen)]
    for payment in payments:
        payment.display_amount = quantize(payment.amount, payment.currency.exponent)
    return payments


def screening_evidence(case: Case) -> list[dict[str, Any]]:
    """The screening alerts' evidence (list, entry, score, what matched), from their facts."""
    return [{"alert": alert.pk, "list": alert.rule_code, "rule_version": alert.rule_version, "score": alert.score,
             "summary": alert.summary, "status": alert.status, "facts": alert.facts}
            for alert in case.alerts.filter(source=Alert.Source.SCREENING).order_by("created_at", "id")]


def customer_profile(customer, user) -> dict[str, Any]:
    """The customer summary on the case page; personal data masked for who may not see it."""
    full = pii.may_see_pii(user)
    address = next(iter(customer.addresses.all().order_by("id")), None)
    return {
        "id": customer.pk, "number": customer.number, "type": customer.type, "name": customer.display_name,
        "status": customer.status, "kyc_status": customer.kyc_status, "risk_rating": customer.risk_rating,
        "date_of_birth": (customer.date_of_birth.isoformat() if customer.date_of_birth and full
                          else pii.mask_date(customer.date_of_birth)),
        "nationality": customer.nationality or customer.incorporation_country,
        "registration_number": customer.registration_number,
        "occupation": customer.occupation or customer.industry,
        "email": customer.email if full else pii.mask_email(customer.email),
        "address": (str(address) if full else pii.mask_text(str(address))) if address else "",
        "country": customer.country,
        "customer_since": customer.created_at.isoformat(),
    }


def attachments_for(case: Case, user) -> QuerySet[CaseAttachment]:
    """The attachments' metadata; empty for a user who may not work the case."""
    if not case_may_work(case, user):
        return CaseAttachment.objects.none()
    return case.attachments.select_related("uploaded_by").order_by("id")


def attachment_for_download(*, case_id: int, attachment_id: int, user) -> CaseAttachment:
    """The attachment, for a user who may work the case: ``attachment_not_found`` when it does not
    exist (or is not the case's), ``not_assignee`` when the user may not work this case."""
    case = case_get(case_id)
    attachment = CaseAttachment.objects.filter(pk=attachment_id, case_id=case.pk).first()
    if attachment is None:
        raise exc.AttachmentNotFound(f"case {case.number} has no attachment {attachment_id}")
    if not case_may_work(case, user):
        raise exc.NotAssignee(f"you may not see the attachments of case {case.number}", case=case.number)
    return attachment


def report_for_export(*, case_id: int, user) -> SuspiciousActivityReport:
    case = case_get(case_id)
    if not user.has_perm(VIEW_REPORT):
        raise exc.CasePermissionRefused("reading a suspicious activity report needs "
                                        "compliance_cases.view_suspiciousactivityreport")
    report = SuspiciousActivityReport.objects.filter(case=case).select_related("filed_by").first()
    if report is None:
        raise exc.ReportNotFound(f"case {case.number} has no suspicious activity report")
    return report


def available_transitions(case: Case, user) -> list[dict[str, Any]]:
    """The transitions of the table (``transitions.py``) ``user`` may fire on ``case`` now, each
    with whether it needs a reason. ``report`` is offered as filing the report (its own form)."""
    allowed = {t.name for t in case.get_available_user_status_transitions(user)}
    return [{"action": spec.name, "label": spec.label, "target": getattr(case, spec.name)._django_fsm.get_transition(
                 case.status).target, "reason_required": spec.reason_required}
            for spec in transitions.TRANSITIONS if spec.name in allowed]


def may_decide(case: Case, user) -> bool:
    return case.is_open and case_may_work(case, user) and user.has_perm(DECIDE)


# --- staff pages: search, customer 360°, the payment's story, queues, the dashboard --------------


def case_find(*, number: str, limit: int = 20) -> list[Case]:
    """A case by its number (exact, the unique index), for the staff search box."""
    number = (number or "").strip().upper()
    if not number:
        return []
    return list(Case.objects.filter(number=number).select_related("customer", "assignee")[:limit])


def customer_compliance(customer_id: int, *, limit: int = 50) -> dict[str, list]:
    """A customer's cases (open first) and alerts (newest first), each list one query
    (``compliance_alert_customer`` and the case's customer index)."""
    cases = (Case.objects.filter(customer_id=customer_id).select_related("assignee")
             .annotate(open_rank=CaseWhen(When(status__in=OPEN_STATES, then=Value(0)), default=Value(1)))
             .order_by("open_rank", "-opened_at", "-id"))
    alerts = (Alert.objects.filter(customer_id=customer_id).select_related("case", "payment")
              .order_by("-created_at", "-id"))
    return {"cases": list(cases[:limit]), "alerts": list(alerts[:limit])}


def payment_alerts(payment_id: int) -> list[Alert]:
    """The screening and monitoring alerts a payment raised, with their decisions, oldest first."""
    return list(Alert.objects.filter(payment_id=payment_id).select_related("case", "decided_by")
                .order_by("created_at", "id"))


def my_cases(user, *, limit: int = 200) -> list[Case]:
    """The open cases assigned to ``user``, by SLA (due first)."""
    return list(case_search(open_only=True, assignee_id=user.pk, ordering="due")[:limit])


def alerts_by_rule(*, since: dt.datetime) -> list[dict[str, Any]]:
    """Alerts raised since ``since`` per source and rule, most first (one grouped query on the
    ``compliance_alert_queue`` index's creation time)."""
    from django.db.models import Count

    return list(Alert.objects.filter(created_at__gte=since).order_by().values("source", "rule_code")
                .annotate(n=Count("id"), open=Count("id", filter=Q(status=Alert.Status.OPEN)))
                .order_by("-n", "source", "rule_code"))
