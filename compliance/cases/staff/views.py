"""The compliance staff pages (server-rendered, under ``/staff/compliance/``): the queue (open
cases and open alerts by age, score and assignee, with filters and the ageing buckets) and the
case page (customer profile, the payments that fired, rule facts, screening evidence, notes,
attachments, history) with its forms: decide an alert, transitions with a reason, assign or claim,
add a note or an attachment, file the suspicious activity report.

Every page needs a signed-in member of staff past the second factor (the staff middleware sends
the others to the 2FA step) holding ``compliance_cases.view_case``; the forms are shown only to
who may use them, and the services check again: a refusal re-renders the page with the error
next to the form that caused it, and changes nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from backoffice.staff.decorators import staff_page
from compliance.cases import selectors, services, transitions
from compliance.cases.api.views import attachment_response, report_response
from compliance.cases.models import MANAGE, OPEN_STATES, REPORT, VIEW, VIEW_ALERT, VIEW_REPORT, Alert, case_may_work
from core_banking.common.errors import DomainError

from .forms import AssignForm, AttachmentForm, DecideForm, NoteForm, QueueFilterForm, ReportForm, TransitionForm

QUEUE_LIMIT = 200


@staff_page(VIEW)
def queue_view(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_bound and form.is_valid() else {}
    status = f.get("status") or ""
    assignee = request.user.pk if f.get("mine") else getattr(f.get("assignee"), "pk", None)
    cases = selectors.case_search(
        status="" if status in ("", "all") else status, open_only=status == "", assignee_id=assignee,
        unassigned=True if f.get("unassigned") else None, min_score=f.get("min_score"), bucket=f.get("age") or "",
        ordering=f.get("ordering") or "age")
    alerts = []
    if request.user.has_perm(VIEW_ALERT):
        alerts = selectors.alert_search(status=Alert.Status.OPEN, source=f.get("source") or "",
                                        min_score=f.get("min_score"), bucket=f.get("age") or "",
                                        ordering="-score" if (f.get("ordering") or "").endswith("score") else "age")
        alerts = list(alerts[:QUEUE_LIMIT])
    return render(request, "compliance/queue.html", {
        "form": form, "cases": list(cases[:QUEUE_LIMIT]), "alerts": alerts, "limit": QUEUE_LIMIT,
        "ageing": selectors.ageing_summary(),
    })


def _case_context(request: HttpRequest, case_id: int, **forms) -> dict:
    case = selectors.case_get(case_id)
    user = request.user
    may_work = case_may_work(case, user)
    is_open = case.status in OPEN_STATES
    context = {
        "case": case,
        "age_bucket": selectors.age_bucket(case.opened_at),
        "profile": selectors.customer_profile(case.customer, user),
        "alerts": list(selectors.case_alerts(case)),
        "payments": selectors.case_payments(case),
        "screening": selectors.screening_evidence(case),
        "notes": case.notes.select_related("author").order_by("id"),
        "attachments": selectors.attachments_for(case, user),
        "history": case.history.select_related("actor").order_by("id"),
        "report": getattr(case, "sar", None) if user.has_perm(VIEW_REPORT) else None,
        "transitions": [t for t in selectors.available_transitions(case, user)
                        if not transitions.BY_NAME[t["action"]].by_filing],
        "may_work": may_work and is_open,
        "may_decide": selectors.may_decide(case, user),
        "may_assign": is_open and user.has_perm(MANAGE),
        "may_claim": is_open and not user.has_perm(MANAGE) and case.assignee_id is None and (
            user.has_perm("compliance_cases.work_case")),
        "may_report": may_work and user.has_perm(REPORT) and case.status in ("investigating", "escalated"),
        "transition_form": forms.get("transition_form") or TransitionForm(),
        "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": case.assignee_id}),
        "note_form": forms.get("note_form") or NoteForm(),
        "decide_form": forms.get("decide_form"),
        "decide_alert": forms.get("decide_alert"),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "report_form": forms.get("report_form") or ReportForm(),
        "page_error": forms.get("page_error"),
    }
    return context


@staff_page(VIEW)
def case_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return render(request, "compliance/case.html", _case_context(request, case_id))


ACTIONS = {"transition", "assign", "claim", "note", "decide", "attachment", "report"}


@staff_page(VIEW)
def case_action_view(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """POST from the case page. Success redirects back to the page (with a message); a refusal or
    an invalid form re-renders the page with the error next to its form."""
    from django.contrib import messages

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in ACTIONS:
        raise Http404("no such case action")
    selectors.case_get(case_id)
    user = request.user
    forms: dict = {}
    try:
        if action == "transition":
            form = forms["transition_form"] = TransitionForm(request.POST)
            step = request.POST.get("action", "")
            if form.is_valid():
                case = services.case_transition(case_id=case_id, action=step, actor=user,
                                                reason=form.cleaned_data["reason"])
                done = f"{case.number}: {transitions.BY_NAME[step].label.lower()} done."
        elif action in ("assign", "claim"):
            form = forms["assign_form"] = AssignForm(request.POST if action == "assign" else {"assignee": user.pk})
            if form.is_valid():
                case = services.case_assign(case_id=case_id, assignee=form.cleaned_data["assignee"], actor=user,
                                            reason=form.cleaned_data["reason"])
                done = f"{case.number}: assigned to {case.assignee.get_username() if case.assignee else 'nobody'}."
        elif action == "note":
            form = forms["note_form"] = NoteForm(request.POST)
            if form.is_valid():
                services.case_note_add(case_id=case_id, text=form.cleaned_data["text"], actor=user)
                done = "Note added."
        elif action == "decide":
            form = forms["decide_form"] = DecideForm(request.POST)
            forms["decide_alert"] = _int(request.POST.get("alert"))
            if form.is_valid():
                alert = Alert.objects.filter(pk=form.cleaned_data["alert"], case_id=case_id).first()
                if alert is None:
                    raise services.exc.AlertNotFound("the case has no such alert")
                alert = services.alert_decide(alert_id=alert.pk, decision=form.cleaned_data["decision"],
                                              note=form.cleaned_data["note"], actor=user)
                done = f"Alert {alert.pk} {alert.status}" + (
                    f"; payment {alert.get_payment_action_display().lower()}" if alert.payment_action else "") + "."
        elif action == "attachment":
            form = forms["attachment_form"] = AttachmentForm(request.POST, request.FILES)
            if form.is_valid():
                services.case_attachment_add(case_id=case_id, upload=form.cleaned_data["file"], actor=user,
                                             description=form.cleaned_data["description"])
                done = "Attachment added."
        else:  # report
            form = forms["report_form"] = ReportForm(request.POST)
            if form.is_valid():
                report = services.case_report_file(case_id=case_id, narrative=form.cleaned_data["narrative"],
                                                   actor=user)
                done = f"Suspicious activity report {report.reference} filed; the case is reported."
    except DomainError as error:
        form.add_error(None, error.detail)
        forms["page_error"] = error.detail
        status = error.status if error.status in (403, 404, 409) else 400
        return render(request, "compliance/case.html", _case_context(request, case_id, **forms), status=status)
    if not form.is_valid():
        return render(request, "compliance/case.html", _case_context(request, case_id, **forms), status=400)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("compliance_staff:case", args=[case_id]))


@staff_page(VIEW)
def attachment_download_view(request: HttpRequest, case_id: int, attachment_id: int):
    try:
        attachment = selectors.attachment_for_download(case_id=case_id, attachment_id=attachment_id,
                                                       user=request.user)
    except services.exc.NotAssignee as error:
        raise PermissionDenied(error.detail) from error
    return attachment_response(attachment)


@staff_page(VIEW)
def report_export_view(request: HttpRequest, case_id: int):
    try:
        report = selectors.report_for_export(case_id=case_id, user=request.user)
    except services.exc.CasePermissionRefused as error:
        raise PermissionDenied(error.detail) from error
    return report_response(report)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
