"""The reconciliation staff pages (server-rendered, under ``/staff/reconciliation/``): the index
(external accounts with what is open on each), statement upload, the workspace of an account
(open statement lines and ledger postings side by side, suggestions to confirm in one click,
manual match of a selection, unmatch with a reason, auto-match now), the breaks board with a page
per break (assign or claim, root cause, investigate, write off, resolve by adjustment through
maker-checker, history), the ageing report, and the safeguarding report with its CSV export.

Every page needs a signed-in member of staff past the second factor holding
``reconciliation.view_statementline`` (finance, operations); a form is shown only to who holds its
permission and the services check again. Every change goes through ``reconciliation.services``
(which records the audit trail); a refusal re-renders the page with the error next to its form
(status 400, 403 for a permission refusal) and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from backoffice.staff.decorators import staff_page
from core_banking.common.errors import DomainError, NotFound
from core_banking.common.maker_checker import Deferred
from reconciliation import selectors, services, transitions
from reconciliation.models import Break, ExternalAccount, Match
from reconciliation.roles import IMPORT, MATCH, RESOLVE_BREAK, WORK_BREAK

from .forms import (
    BreakAssignForm,
    BreakFilterForm,
    BreakNoteForm,
    ConfirmForm,
    ManualMatchForm,
    ResolveForm,
    SafeguardingFilterForm,
    UnmatchForm,
    UploadForm,
    WorkspaceFilterForm,
    WriteOffForm,
)

VIEW = "reconciliation.view_statementline"
WORKSPACE_LIMIT = 200  # lines / postings shown per side
SUGGESTION_LIMIT = 100
RECENT_LIMIT = 50
BOARD_LIMIT = 500
SAFEGUARDING_LIMIT = 1000


def _status(error: DomainError) -> int:
    return 403 if error.code == "permission_denied" else 400


def _account(account_id: int) -> ExternalAccount:
    account = ExternalAccount.objects.select_related("ledger_account", "currency").filter(pk=account_id).first()
    if account is None:
        raise NotFound(f"external account {account_id} does not exist")
    return account


# --- index and upload ----------------------------------------------------------------------------


@staff_page(VIEW)
def index_view(request: HttpRequest) -> HttpResponse:
    return render(request, "reconciliation/index.html", {"accounts": selectors.account_overview()})


@staff_page(VIEW)
def upload_view(request: HttpRequest) -> HttpResponse:
    """GET: the form (``?account=`` preselects one). POST: ``services.statement_import``; the
    result is shown on the page; a refusal is a form error (status 400, nothing written)."""
    if not request.user.has_perm(IMPORT):
        raise PermissionDenied
    result = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.statement_import(external_account=data["external_account"], file=data["file"],
                                                   format=data["format"] or None, actor=request.user)
            except DomainError as error:
                form.add_error(None, f"Refused ({error.code}): {error.detail}")
                return render(request, "reconciliation/upload.html", {"form": form}, status=_status(error))
            form = UploadForm(initial={"external_account": data["external_account"].pk})
        else:
            return render(request, "reconciliation/upload.html", {"form": form}, status=400)
    else:
        form = UploadForm(initial={"external_account": _int(request.GET.get("account"))})
    return render(request, "reconciliation/upload.html", {"form": form, "result": result})


# --- workspace ------------------------------------------------------------------------------------


def _workspace_context(request: HttpRequest, account: ExternalAccount, **forms) -> dict:
    filter_form = WorkspaceFilterForm(request.GET or None)
    f = filter_form.cleaned_data if filter_form.is_bound and filter_form.is_valid() else {}
    filters = {key: f.get(key) for key in ("date_from", "date_to", "amount_min", "amount_max")}
    lines_qs = selectors.workspace_lines(account, **filters)
    postings_qs = selectors.workspace_postings(account, **filters)
    lines, postings = list(lines_qs[:WORKSPACE_LIMIT]), list(postings_qs[:WORKSPACE_LIMIT])
    match_form = forms.get("match_form")
    selected = match_form.data if match_form is not None else None
    return {
        "account": account,
        "filter_form": filter_form,
        "query": urlencode({k: v for k, v in request.GET.items() if v}),
        "lines": lines,
        "lines_total": lines_qs.count() if len(lines) >= WORKSPACE_LIMIT else len(lines),
        "postings": postings,
        "postings_total": postings_qs.count() if len(postings) >= WORKSPACE_LIMIT else len(postings),
        "limit": WORKSPACE_LIMIT,
        "selected_lines": {str(v) for v in selected.getlist("line")} if selected is not None else set(),
        "selected_postings": {str(v) for v in selected.getlist("posting")} if selected is not None else set(),
        "suggestions": selectors.suggestions(account, SUGGESTION_LIMIT),
        "suggestion_limit": SUGGESTION_LIMIT,
        "matches": selectors.recent_matches(account, RECENT_LIMIT),
        "unmatches": selectors.recent_unmatches(account, 10),
        "may_match": request.user.has_perm(MATCH),
        "may_import": request.user.has_perm(IMPORT),
        "match_form": match_form or ManualMatchForm(),
        "confirm_form": forms.get("confirm_form"),
        "confirm_match": forms.get("confirm_match"),
        "unmatch_form": forms.get("unmatch_form"),
        "unmatch_match": forms.get("unmatch_match"),
        "page_error": forms.get("page_error"),
    }


@staff_page(VIEW)
def workspace_view(request: HttpRequest, account_id: int) -> HttpResponse:
    return render(request, "reconciliation/workspace.html", _workspace_context(request, _account(account_id)))


WORKSPACE_ACTIONS = {"match", "confirm", "unmatch", "automatch"}


@staff_page(VIEW)
def workspace_action_view(request: HttpRequest, account_id: int, action: str) -> HttpResponse:
    """POST from the workspace. Success redirects back (keeping the filters); a refusal or an
    invalid form re-renders the workspace with the error next to its form."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in WORKSPACE_ACTIONS:
        raise Http404("no such workspace action")
    account = _account(account_id)
    user = request.user
    forms: dict = {}
    form = None
    try:
        if action == "match":
            form = forms["match_form"] = ManualMatchForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                match = services.match_create(line_ids=data["line"], posting_ids=data["posting"], actor=user,
                                              note=data["note"])
                done = (f"Match {match.pk}: {len(data['line'])} line(s) with {len(data['posting'])} posting(s).")
        elif action == "confirm":
            form = forms["confirm_form"] = ConfirmForm(request.POST)
            forms["confirm_match"] = _int(request.POST.get("match"))
            if form.is_valid():
                _account_match(account, form.cleaned_data["match"])
                match = services.match_confirm(match_id=form.cleaned_data["match"], actor=user)
                done = f"Suggestion confirmed: match {match.pk}."
        elif action == "unmatch":
            form = forms["unmatch_form"] = UnmatchForm(request.POST)
            forms["unmatch_match"] = _int(request.POST.get("match"))
            if form.is_valid():
                _account_match(account, form.cleaned_data["match"])
                match = services.match_unmatch(match_id=form.cleaned_data["match"], actor=user,
                                               reason=form.cleaned_data["reason"])
                done = f"Match {match.pk} undone; its lines and postings are open again."
        else:  # automatch
            run = services.automatch_run(external_account_id=account.pk, actor=user)
            done = (f"Auto-match: {run.lines_matched} line(s) and {run.postings_matched} posting(s) matched, "
                    f"{run.suggestions} suggestion(s).")
    except DomainError as error:
        if form is not None:
            form.add_error(None, error.detail)
        forms["page_error"] = error.detail
        return render(request, "reconciliation/workspace.html", _workspace_context(request, account, **forms),
                      status=_status(error))
    if form is not None and not form.is_valid():
        return render(request, "reconciliation/workspace.html", _workspace_context(request, account, **forms),
                      status=400)
    messages.success(request, done)
    url = reverse("reconciliation_staff:workspace", args=[account.pk])
    return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


def _account_match(account: ExternalAccount, match_id: int) -> Match:
    match = Match.objects.filter(pk=match_id, external_account=account).first()
    if match is None:
        raise services.ReconciliationError(f"match {match_id} is not on this account", "match_not_found")
    return match


# --- breaks ------------------------------------------------------------------------------------------


@staff_page(VIEW)
def breaks_view(request: HttpRequest) -> HttpResponse:
    form = BreakFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_bound and form.is_valid() else {}
    status = f.get("status") or ""
    root_cause = f.get("root_cause") or None
    breaks = selectors.break_search(
        status="" if status in ("", "all") else status, open_only=status == "",
        root_cause="" if root_cause == "unknown" else root_cause, owner_id=getattr(f.get("owner"), "pk", None),
        external_account_id=getattr(f.get("external_account"), "pk", None), bucket=f.get("age") or "")
    rows = list(breaks[:BOARD_LIMIT])
    today = selectors.today()
    for brk in rows:
        brk.age_days = (today - brk.item_date).days
    return render(request, "reconciliation/breaks.html", {
        "form": form, "breaks": rows, "limit": BOARD_LIMIT, "buckets": selectors.AGE_BUCKETS,
        "ageing": selectors.ageing_table(selectors.breaks_ageing(as_of=today)), "as_of": today,
    })


@staff_page(VIEW)
def ageing_view(request: HttpRequest) -> HttpResponse:
    include_closed = request.GET.get("include_closed") == "1"
    today = selectors.today()
    rows = selectors.breaks_ageing(as_of=today, include_closed=include_closed)
    return render(request, "reconciliation/ageing.html", {
        "tables": selectors.ageing_table(rows), "buckets": selectors.AGE_BUCKETS, "as_of": today,
        "include_closed": include_closed,
    })


def _break(break_id: int) -> Break:
    brk = (Break.objects.select_related("external_account", "external_account__ledger_account", "owner", "line",
                                        "line__statement").filter(pk=break_id).first())
    if brk is None:
        raise NotFound(f"break {break_id} does not exist")
    return brk


def _break_context(request: HttpRequest, brk: Break, **forms) -> dict:
    from core_banking.audit.models import AuditEvent
    from core_banking.ledger.models import Posting

    user = request.user
    is_open = brk.status in selectors.OPEN_BREAK_STATES
    may_work = is_open and user.has_perm(WORK_BREAK)
    may_resolve = is_open and user.has_perm(RESOLVE_BREAK)
    age_days = (selectors.today() - brk.item_date).days
    return {
        "brk": brk,
        "age_days": age_days,
        "age_bucket": selectors.age_bucket(age_days),
        "posting": Posting.objects.select_related("entry").filter(pk=brk.posting_id).first() if brk.posting_id
        else None,
        "history": brk.history.select_related("actor").order_by("id"),
        "audit": AuditEvent.objects.filter(object_type="reconciliation.break", object_id=str(brk.pk))
        .select_related("actor").order_by("occurred_at", "id"),
        "may_work": may_work,
        "may_investigate": may_work and brk.status == Break.Status.OPEN,
        "may_claim": may_work and brk.owner_id != user.pk and services.may_work_breaks(user),
        "may_resolve": may_resolve,
        "assign_form": forms.get("assign_form") or BreakAssignForm(
            initial={"owner": brk.owner_id or user.pk, "root_cause": brk.root_cause}),
        "investigate_form": forms.get("investigate_form") or BreakNoteForm(),
        "write_off_form": forms.get("write_off_form") or WriteOffForm(),
        "resolve_form": forms.get("resolve_form") or (ResolveForm(brk=brk) if may_resolve else None),
        "transitions": transitions.BY_NAME,
        "page_error": forms.get("page_error"),
    }


@staff_page(VIEW)
def break_view(request: HttpRequest, break_id: int) -> HttpResponse:
    return render(request, "reconciliation/break.html", _break_context(request, _break(break_id)))


#: Assigning (or claiming), and the transitions of the table (reconciliation/transitions.py).
BREAK_ACTIONS = {"assign", "claim", *transitions.BY_NAME}


@staff_page(VIEW)
def break_action_view(request: HttpRequest, break_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in BREAK_ACTIONS:
        raise Http404("no such break action")
    brk = _break(break_id)
    user = request.user
    forms: dict = {}
    try:
        if action in ("assign", "claim"):
            data = request.POST if action == "assign" else {"owner": user.pk}
            form = forms["assign_form"] = BreakAssignForm(data)
            if form.is_valid():
                root_cause = form.cleaned_data["root_cause"] if action == "assign" else None
                brk = services.break_assign(break_id=brk.pk, actor=user, owner=form.cleaned_data["owner"],
                                            root_cause=root_cause, note=form.cleaned_data["note"])
                done = f"Break {brk.pk} assigned to {brk.owner.get_username()}; {brk.get_status_display().lower()}."
        elif action == "investigate":
            form = forms["investigate_form"] = BreakNoteForm(request.POST)
            if form.is_valid():
                brk = services.break_investigate(break_id=brk.pk, actor=user, note=form.cleaned_data["note"])
                done = transitions.INVESTIGATE.done.format(pk=brk.pk)
        elif action == "write_off":
            form = forms["write_off_form"] = WriteOffForm(request.POST)
            if form.is_valid():
                brk = services.break_write_off(break_id=brk.pk, actor=user, reason=form.cleaned_data["reason"])
                done = transitions.WRITE_OFF.done.format(pk=brk.pk)
        else:  # resolve
            if not user.has_perm(transitions.RESOLVE.permission):
                raise services.ReconciliationError(transitions.RESOLVE.permission_refusal, "permission_denied")
            form = forms["resolve_form"] = ResolveForm(request.POST, brk=brk)
            if form.is_valid():
                data = form.cleaned_data
                result = services.break_resolve_by_adjustment(
                    break_id=brk.pk, contra_account_id=data["contra_account"].pk, actor=user,
                    reason=data["reason"], idempotency_key=data["idempotency_key"])
                if isinstance(result, Deferred):
                    done = (f"Break {brk.pk}: the adjustment awaits approval (approval request "
                            f"{result.request_id}); the break stays under investigation until it is approved.")
                else:
                    done = transitions.RESOLVE.done.format(pk=brk.pk, entry=result.adjustment_entry_id)
    except DomainError as error:
        if action == "resolve" and "resolve_form" not in forms:
            forms["page_error"] = error.detail
        else:
            form.add_error(None, error.detail)
            forms["page_error"] = error.detail
        return render(request, "reconciliation/break.html", _break_context(request, _break(break_id), **forms),
                      status=_status(error))
    if not form.is_valid():
        return render(request, "reconciliation/break.html", _break_context(request, brk, **forms), status=400)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("reconciliation_staff:break", args=[brk.pk]))


# --- safeguarding ------------------------------------------------------------------------------------


def _safeguarding_filters(request: HttpRequest) -> tuple[SafeguardingFilterForm, dict]:
    form = SafeguardingFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, {"date_from": f.get("date_from"), "date_to": f.get("date_to"), "currency": f.get("currency") or "",
                  "outcome": f.get("outcome") or ""}


@staff_page(VIEW)
def safeguarding_view(request: HttpRequest) -> HttpResponse:
    form, filters = _safeguarding_filters(request)
    checks = selectors.safeguarding_history(**filters).select_related("currency")
    rows = list(checks[:SAFEGUARDING_LIMIT])
    exponents = selectors.currency_exponents()
    for check in rows:
        exp = exponents.get(check.currency_id, 2)
        check.client_money_text, check.safeguarded_text, check.difference_text = (
            format(selectors.amount_plain(v, exp), "f") for v in (check.client_money, check.safeguarded,
                                                                  check.difference))
    return render(request, "reconciliation/safeguarding.html", {
        "form": form, "checks": rows, "limit": SAFEGUARDING_LIMIT,
        "shortfalls": sum(1 for c in rows if c.outcome == "shortfall"),
        "query": urlencode({k: v for k, v in request.GET.items() if v}),
    })


@staff_page(VIEW)
def safeguarding_export_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("reconciliation.view_safeguardingcheck"):
        raise PermissionDenied
    form, filters = _safeguarding_filters(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()), status=400,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(selectors.safeguarding_csv(selectors.safeguarding_history(**filters)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="safeguarding.csv"'
    return response


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

