"""Compliance alerts and cases over REST (``/api/v1/compliance/``, scope ``compliance``).

One API class per URL; each validates, calls one service or selector and serializes. Refusals
are ``application/problem+json`` with stable codes: ``case_not_found``, ``alert_not_found``,
``attachment_not_found``, ``report_not_found``, ``transition_not_allowed``, ``alerts_undecided``,
``reason_required``, ``alert_already_decided``, ``case_closed``, ``report_not_filed``,
``report_already_filed``, ``invalid_assignee``, ``invalid_decision``, ``invalid_note``,
``invalid_attachment``, ``unsupported_attachment_type``, ``attachment_too_large``,
``not_assignee`` (a reviewer on a case not assigned to them), ``permission_denied``; deciding an
alert may also answer the payment's own refusals (e.g. ``account_frozen``).

Authorisation: investigations are bank-internal and confidential. Token clients need the
``compliance`` scope and a *bank-channel* client: a partner's token is refused (403
``permission_denied``) whatever its role or scopes. Then the role permissions
(``compliance/cases/roles.py``): ``view_case`` / ``view_alert`` to read; ``work_case``,
``decide_alert``, ``manage_case``, ``report_case`` to act, where the service decides on the case
itself (a reviewer only on the cases assigned to them).
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.cases import selectors, services
from compliance.cases.models import DECIDE, REPORT, VIEW, VIEW_ALERT, VIEW_REPORT, WORK, case_may_work
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import BankInternal, HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses

from . import serializers as s

ALERTS, CASES = "Compliance alerts", "Compliance cases"
REFUSED = {
    (403, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="`permission_denied` (role, scope or a partner's token), `not_assignee` "
        "(the case is not assigned to you)."),
}


def _conflict(codes: str) -> dict:
    return {(409, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=f"Refused: {codes}.")}



class ComplianceApi(APIView):
    required_scopes = ["compliance"]
    permission_classes = [IsAuthenticated, HasScope, BankInternal, RequiresPermissions]
    bank_internal_message = "Compliance investigations are bank-internal: a partner's API token may not call them."
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class _OrderedCursor(DefaultCursorPagination):
    """Cursor pagination in the order the request asked for (``view.cursor_ordering``)."""

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", None) or self.ordering


def case_detail(case_id: int, user) -> dict:
    case = selectors.case_get(case_id)
    payments = [{
        "id": p.pk, "reference": p.reference, "kind": p.kind, "status": p.status,
        "amount": p.display_amount,
        "currency": p.currency_id, "created_at": p.created_at, "posted_at": p.posted_at,
        "debtor_iban": p.debtor_account.iban if p.debtor_account_id else None,
        "creditor_iban": p.creditor_account.iban if p.creditor_account_id else None,
        "counterparty": {"name": p.counterparty_name, "iban": p.counterparty_iban, "bic": p.counterparty_bic,
                         "country": p.counterparty_country},
        "review_reasons": p.review_reasons or [],
    } for p in selectors.case_payments(case)]
    report = getattr(case, "sar", None) if user.has_perm(VIEW_REPORT) else None
    data = s.CaseSerializer(case).data
    data.update({
        "age_bucket": selectors.age_bucket(case.opened_at),
        "customer_profile": selectors.customer_profile(case.customer, user),
        "alerts": s.AlertSerializer(selectors.case_alerts(case), many=True).data,
        "payments": s.CasePaymentSerializer(payments, many=True).data,
        "screening_evidence": selectors.screening_evidence(case),
        "notes": s.NoteSerializer(case.notes.select_related("author").order_by("id"), many=True).data,
        "attachments": s.AttachmentSerializer(selectors.attachments_for(case, user), many=True).data,
        "history": s.HistorySerializer(case.history.select_related("actor").order_by("id"), many=True).data,
        "report": s.ReportSummarySerializer(report).data if report else None,
        "available_transitions": selectors.available_transitions(case, user),
        "may_work": case_may_work(case, user),
        "may_decide": selectors.may_decide(case, user),
    })
    return data


# --- alerts ----------------------------------------------------------------------------------


class AlertListApi(ComplianceApi):
    required_perms = {"GET": [VIEW_ALERT]}
    pagination_class = _OrderedCursor

    @extend_schema(operation_id="compliance_alerts_list", tags=[ALERTS], summary="Find alerts",
                   description="Filter by status, source, customer, case, minimum score and ageing bucket; ordered "
                   "by age (oldest first by default) or score.",
                   parameters=[s.AlertFilterSerializer],
                   responses={200: s.AlertSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.AlertFilterSerializer, request)
        self.cursor_ordering = selectors.ALERT_ORDERINGS[f.get("ordering", "age")]
        alerts = selectors.alert_search(status=f.get("status", ""), source=f.get("source", ""),
                                        customer_id=f.get("customer"), case_id=f.get("case"),
                                        min_score=f.get("min_score"), bucket=f.get("age", ""),
                                        ordering=f.get("ordering", "age"))
        return paginated_response(serializer_class=s.AlertSerializer, queryset=alerts, request=request, view=self)


class AlertDetailApi(ComplianceApi):
    required_perms = {"GET": [VIEW_ALERT]}

    @extend_schema(operation_id="compliance_alerts_retrieve", tags=[ALERTS], summary="An alert with its facts",
                   parameters=[path_id("alert_id")],
                   responses={200: s.AlertSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, alert_id: int):
        return Response(s.AlertSerializer(selectors.alert_get(alert_id)).data)


class AlertDecideApi(ComplianceApi):
    required_perms = {"POST": [VIEW_ALERT, DECIDE]}

    @extend_schema(
        operation_id="compliance_alerts_decide", tags=[ALERTS], summary="Clear or confirm an alert",
        description="With a note (`reason_required`). The alert's payment held for review is released on `clear` "
        "(`payment_action` `released`, or `release_pending_approval` with `payment_approval_request_id` when the "
        "release needs a second person) and rejected on `confirm` (the hold is voided).",
        parameters=[path_id("alert_id")], request=s.DecideSerializer,
        responses={200: s.AlertSerializer, **problem_responses(400, 401, 404),
                   **_conflict("`alert_already_decided`, `case_closed`, the payment's state"), **REFUSED})
    def post(self, request, alert_id: int):
        serializer = s.DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = services.alert_decide(alert_id=alert_id, actor=request.user, **serializer.validated_data)
        return Response(s.AlertSerializer(selectors.alert_get(alert.pk)).data)


# --- cases -----------------------------------------------------------------------------------


class CaseListApi(ComplianceApi):
    required_perms = {"GET": [VIEW]}
    pagination_class = _OrderedCursor

    @extend_schema(operation_id="compliance_cases_list", tags=[CASES], summary="The case queue",
                   description="Filter by status, open, assignee, `mine`, unassigned, customer, minimum score, "
                   "ageing bucket (`0-1d`, `1-3d`, `3-7d`, `7d+`) and overdue; ordered by age (oldest first by "
                   "default), score, due time or assignee.",
                   parameters=[s.CaseFilterSerializer],
                   responses={200: s.CaseSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.CaseFilterSerializer, request)
        ordering = f.get("ordering", "age")
        self.cursor_ordering = selectors.CASE_ORDERINGS[ordering]
        assignee = request.user.pk if f.get("mine") else f.get("assignee")
        cases = selectors.case_search(status=f.get("status", ""), open_only=bool(f.get("open")), assignee_id=assignee,
                                      unassigned=f.get("unassigned"), customer_id=f.get("customer"),
                                      min_score=f.get("min_score"), bucket=f.get("age", ""),
                                      overdue=f.get("overdue"), ordering=ordering)
        return paginated_response(serializer_class=s.CaseSerializer, queryset=cases, request=request, view=self)


class CaseDetailApi(ComplianceApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="compliance_cases_retrieve", tags=[CASES],
                   summary="A case: customer profile, alerts with facts, payments, screening evidence, notes, "
                   "attachments, history and what you may do",
                   parameters=[path_id("case_id")],
                   responses={200: s.CaseDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, case_id: int):
        return Response(case_detail(case_id, request.user))


class CaseTransitionApi(ComplianceApi):
    required_perms = {"POST": [VIEW, WORK]}

    @extend_schema(
        operation_id="compliance_cases_transition", tags=[CASES], summary="Fire a transition",
        description="`investigate`, `escalate`, `close_no_action` (a reason and every alert decided: "
        "`reason_required`, `alerts_undecided`); `report` is done by filing the report (`report_not_filed`).",
        parameters=[path_id("case_id")], request=s.TransitionSerializer,
        responses={200: s.CaseDetailSerializer, **problem_responses(400, 401, 404),
                   **_conflict("`transition_not_allowed`, `alerts_undecided`, `report_not_filed`"), **REFUSED})
    def post(self, request, case_id: int):
        serializer = s.TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.case_transition(case_id=case_id, actor=request.user, **serializer.validated_data)
        return Response(case_detail(case_id, request.user))


class CaseAssignApi(ComplianceApi):
    required_perms = {"POST": [VIEW, WORK]}

    @extend_schema(operation_id="compliance_cases_assign", tags=[CASES], summary="Assign, reassign or claim",
                   description="Officers assign anything; a reviewer may claim an unassigned case. The assignee "
                   "gets the case's object permission; the previous one loses it.",
                   parameters=[path_id("case_id")], request=s.AssignSerializer,
                   responses={200: s.CaseDetailSerializer, **problem_responses(400, 401, 404),
                              **_conflict("`case_closed`"), **REFUSED})
    def post(self, request, case_id: int):
        serializer = s.AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.case_assign(case_id=case_id, assignee=serializer.validated_data["assignee"],
                             reason=serializer.validated_data["reason"], actor=request.user)
        return Response(case_detail(case_id, request.user))


class CaseNoteApi(ComplianceApi):
    required_perms = {"POST": [VIEW, WORK]}

    @extend_schema(operation_id="compliance_cases_notes_create", tags=[CASES], summary="Add a note",
                   parameters=[path_id("case_id")], request=s.NoteInputSerializer,
                   responses={201: s.NoteSerializer, **problem_responses(400, 401, 404), **_conflict("`case_closed`"),
                              **REFUSED})
    def post(self, request, case_id: int):
        serializer = s.NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.case_note_add(case_id=case_id, text=serializer.validated_data["text"], actor=request.user)
        return Response(s.NoteSerializer(note).data, status=201)


class CaseAttachmentUploadApi(ComplianceApi):
    required_perms = {"POST": [VIEW, WORK]}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="compliance_cases_attachments_upload", tags=[CASES],
                   summary="Attach an evidence file (multipart)",
                   description="PDF, PNG, JPEG, TXT or CSV (`unsupported_attachment_type`), at most 20 MB "
                   "(`attachment_too_large`); stored privately with its SHA-256.",
                   parameters=[path_id("case_id")], request={"multipart/form-data": s.AttachmentUploadSerializer},
                   responses={201: s.AttachmentSerializer, **problem_responses(400, 401, 404),
                              **_conflict("`case_closed`"), **REFUSED})
    def post(self, request, case_id: int):
        serializer = s.AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.case_attachment_add(case_id=case_id, upload=serializer.validated_data["file"],
                                                  description=serializer.validated_data["description"],
                                                  actor=request.user)
        return Response(s.AttachmentSerializer(attachment).data, status=201)


class CaseAttachmentDownloadApi(ComplianceApi):
    required_perms = {"GET": [VIEW, WORK]}

    @extend_schema(operation_id="compliance_cases_attachments_download", tags=[CASES],
                   summary="Download an attachment",
                   description="Streams the file, only to who may work the case (`not_assignee` otherwise). "
                   "Attachments have no public URL.",
                   parameters=[path_id("case_id"), path_id("attachment_id")],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              **problem_responses(401, 404), **REFUSED})
    def get(self, request, case_id: int, attachment_id: int):
        attachment = selectors.attachment_for_download(case_id=case_id, attachment_id=attachment_id,
                                                       user=request.user)
        return attachment_response(attachment, content_type="application/octet-stream")


def attachment_response(attachment, *, content_type: str | None = None) -> FileResponse:
    """The file as a download. The API sends the documented ``application/octet-stream`` (the
    attachment's own type is in its metadata); the staff page the type it was uploaded with."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=content_type or attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CaseReportApi(ComplianceApi):
    required_perms = {"GET": [VIEW, VIEW_REPORT], "POST": [VIEW, REPORT]}

    @extend_schema(operation_id="compliance_cases_report_export", tags=[CASES],
                   summary="Export the suspicious activity report (JSON, as filed)",
                   description="The exact JSON document filed (layout: docs/compliance-cases.md); its SHA-256 is in "
                   "the `X-Content-SHA256` header.",
                   parameters=[path_id("case_id")],
                   responses={(200, "application/json"): OpenApiTypes.OBJECT, **problem_responses(401, 404),
                              **REFUSED})
    def get(self, request, case_id: int):
        report = selectors.report_for_export(case_id=case_id, user=request.user)
        return report_response(report)

    @extend_schema(operation_id="compliance_cases_report_file", tags=[CASES],
                   summary="File the suspicious activity report and mark the case reported",
                   description="Needs `report_case`, an investigating or escalated case, every alert decided "
                   "(`alerts_undecided`) and a narrative (`reason_required`).",
                   parameters=[path_id("case_id")], request=s.ReportFileSerializer,
                   responses={201: s.ReportSummarySerializer, **problem_responses(400, 401, 404),
                              **_conflict("`transition_not_allowed`, `alerts_undecided`, `report_already_filed`"),
                              **REFUSED})
    def post(self, request, case_id: int):
        serializer = s.ReportFileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.case_report_file(case_id=case_id, narrative=serializer.validated_data["narrative"],
                                           actor=request.user)
        return Response(s.ReportSummarySerializer(report).data, status=201)


def report_response(report) -> HttpResponse:
    response = HttpResponse(report.document.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report.reference}.json"'
    response["X-Content-SHA256"] = report.sha256
    response["Cache-Control"] = "private, no-store"
    return response
