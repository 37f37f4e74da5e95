"""KYC reads: look-up, search, documents a user may see, the transitions a user may fire."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from . import exceptions as exc
from . import transitions
from .models import KycApplication, KycCheckResult, KycDocument, kyc_may_see_documents
from .services import may_approve_now


def visible_applications_q(visible_to) -> Q:
    """Client isolation (core_banking/common/visibility.py): the applications ``visible_to``
    opened or that are about a customer it onboarded."""
    return Q(created_by=visible_to) | Q(customer__created_by=visible_to)


def application_get(application_id: int, *, visible_to=None) -> KycApplication:
    applications = KycApplication.objects.filter(pk=application_id)
    if visible_to is not None:
        applications = applications.filter(visible_applications_q(visible_to))
    application = applications.select_related("customer", "assignee", "first_approval_by", "decided_by").first()
    if application is None:
        raise exc.ApplicationNotFound(f"KYC application {application_id} does not exist")
    return application


def application_search(*, status: str = "", kind: str = "", customer_id: int | None = None,
                       assignee_id: int | None = None, risk_rating: str = "",
                       unassigned: bool | None = None, visible_to=None) -> QuerySet[KycApplication]:
    applications = KycApplication.objects.all()
    if visible_to is not None:
        applications = applications.filter(visible_applications_q(visible_to))
    if status:
        applications = applications.filter(status=status)
    if kind:
        applications = applications.filter(kind=kind)
    if risk_rating:
        applications = applications.filter(risk_rating=risk_rating)
    if customer_id is not None:
        applications = applications.filter(customer_id=customer_id)
    if assignee_id is not None:
        applications = applications.filter(assignee_id=assignee_id)
    if unassigned is not None:
        applications = applications.filter(assignee__isnull=unassigned)
    return applications.select_related("customer", "assignee")


def latest_checks(application: KycApplication) -> QuerySet[KycCheckResult]:
    return application.check_results.filter(run=application.check_run).order_by("id")


def documents_for(application: KycApplication, user) -> QuerySet[KycDocument]:
    """The documents' metadata; empty for a user who may not see the application's documents."""
    if not kyc_may_see_documents(application, user):
        return KycDocument.objects.none()
    return application.documents.select_related("uploaded_by").order_by("id")


def document_for_download(*, application_id: int, document_id: int, user) -> KycDocument:
    """The document, for a user who may see it: 404 when it does not exist (or is not the
    application's), ``not_assignee`` when the user may not see this application's documents."""
    application = application_get(application_id)
    document = KycDocument.objects.filter(pk=document_id, application_id=application.pk).first()
    if document is None:
        raise exc.DocumentNotFound(f"KYC application {application_id} has no document {document_id}")
    if not kyc_may_see_documents(application, user):
        raise exc.NotAssignee(f"you may not see the documents of KYC application {application.pk}",
                              application=application.pk)
    return document


def available_transitions(application: KycApplication, user) -> list[dict[str, Any]]:
    """What ``user`` may fire now (state allows it and they may act), in a fixed order."""
    allowed = {t.name for t in application.get_available_user_status_transitions(user)}
    if "approve" in allowed and not may_approve_now(application, user):
        allowed.discard("approve")
    return [{"action": t.name, "label": t.label, "target": _target(application, t.name),
             "reason_required": t.reason_required}
            for t in transitions.TRANSITIONS if t.name in allowed]


def _target(application: KycApplication, action: str) -> str:
    meta = getattr(application, action)._django_fsm
    target = meta.get_transition(application.status).target
    if action == "approve" and application.risk_rating == "high" and application.first_approval_by_id is None:
        return application.status  # the first of two approvals
    return target


# --- staff pages: my reviews, the backlog, a customer's applications -----------------------------

#: Days a submitted application may wait for its decision (the review SLA the queues order by
#: and the dashboard counts breaches of); ``KYC_REVIEW_SLA_DAYS`` in settings overrides it.
REVIEW_SLA_DAYS = 5
REVIEW_STATES = (KycApplication.Status.SUBMITTED, KycApplication.Status.IN_REVIEW,
                 KycApplication.Status.RESUBMITTED)


def review_sla_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "KYC_REVIEW_SLA_DAYS", REVIEW_SLA_DAYS))


def _with_due_at(applications: QuerySet[KycApplication]) -> QuerySet[KycApplication]:
    import datetime as dt

    from django.db.models import DateTimeField, ExpressionWrapper, F, Value
    from django.db.models.functions import Coalesce

    sla = dt.timedelta(days=review_sla_days())
    return applications.annotate(due_at=ExpressionWrapper(Coalesce(F("submitted_at"), F("created_at")) + Value(sla),
                                                          output_field=DateTimeField()))


def my_reviews(user, *, limit: int = 200) -> list[KycApplication]:
    """The open applications assigned to ``user`` waiting for a reviewer (submitted, in review,
    resubmitted), by review SLA: the oldest submission first (``kyc_app_assignee_status``)."""
    applications = KycApplication.objects.filter(assignee=user, status__in=REVIEW_STATES)
    return list(_with_due_at(applications).select_related("customer").order_by("due_at", "id")[:limit])


def unassigned_reviews(*, limit: int = 200) -> list[KycApplication]:
    """Applications waiting for a reviewer that nobody has picked up, by review SLA."""
    applications = KycApplication.objects.filter(assignee__isnull=True, status__in=REVIEW_STATES)
    return list(_with_due_at(applications).select_related("customer").order_by("due_at", "id")[:limit])


def kyc_backlog(*, now=None) -> dict[str, Any]:
    """Open applications per status and how many waiting for review are past the review SLA."""
    import datetime as dt

    from django.db.models import Count
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=review_sla_days())
    rows = (KycApplication.objects.filter(status__in=KycApplication.OPEN_STATES)
            .annotate(since=Coalesce("submitted_at", "created_at")).order_by().values("status")
            .annotate(n=Count("id"), breached=Count("id", filter=Q(status__in=REVIEW_STATES, since__lte=cutoff))))
    by_status = {r["status"]: r for r in rows}
    return {"by_status": [{"status": s.label, "count": by_status.get(s.value, {}).get("n", 0),
                           "breached": by_status.get(s.value, {}).get("breached", 0)}
                          for s in KycApplication.Status if s.value in KycApplication.OPEN_STATES],
            "total": sum(r["n"] for r in rows), "breached": sum(r["breached"] for r in rows)}


def customer_applications(customer_id: int, *, limit: int = 20) -> list[KycApplication]:
    """A customer's applications, newest first, with their documents' metadata prefetched
    (``kyc_app_customer_time``); who may see the documents is decided per application
    (``documents_for`` / ``kyc_may_see_documents``)."""
    from django.db.models import Prefetch

    return list(KycApplication.objects.filter(customer_id=customer_id)
                .select_related("assignee", "decided_by")
                .prefetch_related(Prefetch("documents", queryset=KycDocument.objects.order_by("id")))
                .order_by("-created_at", "-id")[:limit])


def latest_open_application(customer_id: int) -> KycApplication | None:
    return (KycApplication.objects.filter(customer_id=customer_id, status__in=KycApplication.OPEN_STATES)
            .order_by("-created_at", "-id").first())


def application_page(application_id: int) -> KycApplication:
    """One application with what its staff page shows (customer, people, history, documents)."""
    from django.db.models import Prefetch

    from .models import KycHistory

    application = (KycApplication.objects.filter(pk=application_id)
                   .select_related("customer", "assignee", "first_approval_by", "decided_by")
                   .prefetch_related(Prefetch("history", queryset=KycHistory.objects.select_related("actor")
                                              .order_by("id")),
                                     Prefetch("documents", queryset=KycDocument.objects.order_by("id")))
                   .first())
    if application is None:
        raise exc.ApplicationNotFound(f"KYC application {application_id} does not exist")
    return application
