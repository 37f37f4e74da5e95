"""Work queues: what waits for the signed-in user, ordered by SLA, one click to the object.

* **My KYC reviews** (``kyc.review_kycapplication``): the applications assigned to me waiting for a
  decision, by review SLA (submitted + ``KYC_REVIEW_SLA_DAYS``); for who assigns
  (``kyc.assign_kycapplication``) also the unassigned ones. Each opens the KYC application page.
* **My approvals** (``approvals.decide_approvalrequest``): the maker-checker inbox (pending, not
  expired, a type I check, not mine, not decided by me), soonest expiry first; plus my own
  pending requests. Each opens the approval request page.
* **My tickets** (``tickets.work_ticket``): assigned to me, then my teams' unassigned ones, by
  next SLA due time. Each opens the staff ticket page (``pages/tickets.py``).
* **My compliance cases** (``compliance_cases.view_case``): open cases assigned to me, due first.
  Each opens the case page.

The two object pages reached from here live in this module too: the KYC application page (its
transitions through ``kyc.services.application_transition``, offered as
``kyc.selectors.available_transitions`` decides) and the approval request page (approve, reject,
cancel, retry through ``approvals.services``, offered as ``approvals.selectors.available_actions``
decides). The services check the user again, object by object.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from backoffice.approvals import selectors as approvals_selectors
from backoffice.approvals import services as approvals_services
from backoffice.approvals.targets import payload_facts
from backoffice.kyc import selectors as kyc_selectors
from backoffice.kyc import services as kyc_services
from backoffice.kyc import transitions as kyc_transitions
from backoffice.staff.decorators import staff_page
from backoffice.tickets import selectors as tickets_selectors
from compliance.cases import selectors as cases_selectors
from core_banking.common.errors import DomainError

from .forms import ApprovalActionForm, KycActionForm

LIMIT = 200


@staff_page(None)
def queues_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict = {"now": timezone.now(), "limit": LIMIT, "sections": 0}
    if user.has_perm("kyc.review_kycapplication"):
        context["kyc_reviews"] = kyc_selectors.my_reviews(user, limit=LIMIT)
        context["sections"] += 1
    if user.has_perm("kyc.assign_kycapplication"):
        context["kyc_unassigned"] = kyc_selectors.unassigned_reviews(limit=LIMIT)
        context["sections"] += 1
    if user.has_perm("approvals.decide_approvalrequest"):
        context["approvals"] = list(approvals_selectors.inbox_for_user(user)[:LIMIT])
        context["sections"] += 1
    if user.has_perm("approvals.add_approvalrequest"):
        context["my_requests"] = list(approvals_selectors.requests_made_by(user, status="pending")
                                      .order_by("expires_at", "id")[:LIMIT])
    if user.has_perm("tickets.work_ticket"):
        context["tickets"] = list(tickets_selectors.queue_for_user(user)[:LIMIT])
        context["sections"] += 1
    if user.has_perm("compliance_cases.view_case"):
        context["cases"] = cases_selectors.my_cases(user, limit=LIMIT)
        context["sections"] += 1
    return render(request, "staff/queues.html", context)


# --- the KYC application page ---------------------------------------------------------------------


def _kyc_context(request: HttpRequest, application_id: int, **forms) -> dict:
    user = request.user
    application = kyc_selectors.application_page(application_id)
    return {
        "application": application,
        "checks": list(kyc_selectors.latest_checks(application)),
        "documents": list(kyc_selectors.documents_for(application, user)),
        "transitions": kyc_selectors.available_transitions(application, user),
        "form": forms.get("form") or KycActionForm(),
        "page_error": forms.get("page_error"),
        "sla_days": kyc_selectors.review_sla_days(),
    }


@staff_page("kyc.view_kycapplication")
def kyc_application_view(request: HttpRequest, application_id: int) -> HttpResponse:
    return render(request, "staff/kyc_application.html", _kyc_context(request, application_id))


@staff_page("kyc.view_kycapplication")
def kyc_action_view(request: HttpRequest, application_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    kyc_selectors.application_get(application_id)
    form = KycActionForm(request.POST)
    if not form.is_valid():
        return render(request, "staff/kyc_application.html", _kyc_context(request, application_id, form=form),
                      status=400)
    data = form.cleaned_data
    try:
        application = kyc_services.application_transition(
            application_id=application_id, action=data["action"], actor=request.user, reason=data["reason"],
            reason_code=data["reason_code"])
    except DomainError as error:
        form.add_error(None, error.detail)
        status = error.status if error.status in (403, 404, 409) else 400
        return render(request, "staff/kyc_application.html",
                      _kyc_context(request, application_id, form=form, page_error=error.detail), status=status)
    spec = kyc_transitions.BY_NAME.get(data["action"])
    label = spec.label if spec else data["action"]
    messages.success(request, f"KYC application {application.pk}: {label.lower()} done; it is "
                              f"{application.get_status_display().lower()}.")
    return HttpResponseRedirect(reverse("staff:kyc-application", args=[application.pk]))


# --- the approval request page ---------------------------------------------------------------------


def _approval_context(request: HttpRequest, request_id: int, **forms) -> dict:
    user = request.user
    approval = approvals_selectors.request_page(request_id)
    return {
        "approval": approval,
        "target": approvals_selectors.request_target(approval, user),
        "requested": payload_facts(approval.payload or {}, approval.currency or ""),
        "next_step": approvals_selectors.request_next_step(approval),
        "actions": approvals_selectors.available_actions(approval, user),
        "form": forms.get("form") or ApprovalActionForm(),
        "page_error": forms.get("page_error"),
    }


@staff_page("approvals.view_approvalrequest")
def approval_view(request: HttpRequest, request_id: int) -> HttpResponse:
    return render(request, "staff/approval.html", _approval_context(request, request_id))


@staff_page("approvals.view_approvalrequest")
def approval_action_view(request: HttpRequest, request_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    approvals_selectors.request_get(request_id)
    form = ApprovalActionForm(request.POST)
    if form.is_valid() and form.cleaned_data["action"] == "reject" and not form.cleaned_data["comment"].strip():
        form.add_error("comment", "Say why you reject it.")
    if not form.is_valid():
        return render(request, "staff/approval.html", _approval_context(request, request_id, form=form), status=400)
    action, comment, user = form.cleaned_data["action"], form.cleaned_data["comment"], request.user
    try:
        if action == "approve":
            approval = approvals_services.request_approve(request_id=request_id, actor=user, comment=comment)
        elif action == "reject":
            approval = approvals_services.request_reject(request_id=request_id, actor=user, reason=comment)
        elif action == "cancel":
            approval = approvals_services.request_cancel(request_id=request_id, actor=user, reason=comment)
        else:
            approval = approvals_services.request_retry(request_id=request_id, actor=user)
    except DomainError as error:
        form.add_error(None, error.detail)
        status = error.status if error.status in (403, 404, 409) else 400
        return render(request, "staff/approval.html",
                      _approval_context(request, request_id, form=form, page_error=error.detail), status=status)
    messages.success(request, f"Approval request {approval.pk}: {approvals_selectors.request_next_step(approval)}")
    return HttpResponseRedirect(reverse("staff:approval", args=[approval.pk]))
