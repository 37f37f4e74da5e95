"""Reconciliation over REST (``/api/v1/reconciliation/``): statement upload (multipart) and
look-up, lines, matches (manual match, confirm a suggestion, unmatch), breaks (assign, start
investigating, write-off, resolve by adjustment through maker-checker, the ageing report) and
safeguarding checks (with a CSV export).

Authorisation: the ``reconciliation`` scope for token clients, then the model permissions of
``required_perms`` (``reconciliation/roles.py``); the services check the write permissions again.
Refusals are ``application/problem+json`` with the services' stable codes (``duplicate_file``,
``statement_overlap``, ``account_mismatch``, ``already_matched``, ``match_amounts_differ`` ...).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.common.api.idempotency import idempotency_key, key_parameter
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import BankInternal, HasScope, RequiresPermissions
from core_banking.common.api.schema import path_id, problem_responses
from core_banking.common.api.strict import refuse_body
from core_banking.common.errors import NotFound
from core_banking.common.maker_checker import Deferred
from reconciliation import selectors, services, transitions
from reconciliation.models import Break, Match, Statement, StatementLine

from . import serializers as s

TAGS = ["Reconciliation"]
P = "reconciliation."


class ReconciliationApi(APIView):
    required_scopes = ["reconciliation"]
    permission_classes = [IsAuthenticated, HasScope, BankInternal, RequiresPermissions]
    bank_internal_message = "Reconciliation is bank-internal: a partner's API token may not call it."
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]
    pagination_class = DefaultCursorPagination


def _get(model, pk):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{model._meta.verbose_name} {pk} does not exist")
    return obj


class StatementListApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_statement"], "POST": [P + "add_statementfile"]}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="reconciliation_statements_list", tags=TAGS, summary="Imported statements",
                   responses={200: s.StatementSerializer(many=True), **problem_responses(401, 403)})
    def get(self, request):
        qs = Statement.objects.select_related("file")
        account = request.query_params.get("external_account", "")
        if account.isascii() and account.isdigit():
            qs = qs.filter(external_account_id=int(account))
        return paginated_response(serializer_class=s.StatementSerializer, queryset=qs, request=request, view=self)

    @extend_schema(operation_id="reconciliation_statements_upload", tags=TAGS,
                   summary="Upload a statement file (camt.053, MT940, CSV)", request=s.StatementUploadSerializer,
                   responses={201: s.StatementImportSerializer, **problem_responses(400, 401, 403, 409, 422)})
    def post(self, request):
        serializer = s.StatementUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.statement_import(external_account=data["external_account"], file=data["file"],
                                           format=data.get("format"), actor=request.user)
        return Response({"file": result.file.pk, "lines": result.lines, "rejected": result.rejected,
                         "errors": result.errors, "matching": result.matching,
                         "statements": s.StatementSerializer(result.statements, many=True).data}, status=201)


class StatementDetailApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_statement"]}

    @extend_schema(operation_id="reconciliation_statements_retrieve", tags=TAGS, parameters=[path_id("statement_id")],
                   responses={200: s.StatementSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, statement_id: int):
        return Response(s.StatementSerializer(_get(Statement, statement_id)).data)


class LineCursor(DefaultCursorPagination):
    ordering = ("position", "id")


class StatementLinesApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_statementline"]}
    pagination_class = LineCursor

    @extend_schema(operation_id="reconciliation_statement_lines", tags=TAGS,
                   parameters=[path_id("statement_id"), s.LineFilterSerializer],
                   responses={200: s.LineSerializer(many=True), **problem_responses(400, 401, 403, 404)})
    def get(self, request, statement_id: int):
        _get(Statement, statement_id)
        f = query_params(s.LineFilterSerializer, request)
        qs = StatementLine.objects.filter(statement_id=statement_id)
        if f.get("status"):
            qs = qs.filter(status=f["status"])
        return paginated_response(serializer_class=s.LineSerializer, queryset=qs, request=request, view=self)


class MatchListApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_match"], "POST": [P + "match_manually"]}

    @extend_schema(operation_id="reconciliation_matches_list", tags=TAGS, parameters=[s.MatchFilterSerializer],
                   responses={200: s.MatchSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.MatchFilterSerializer, request)
        qs = Match.objects.prefetch_related("line_links", "posting_links")
        if f.get("state"):
            qs = qs.filter(state=f["state"])
        if f.get("external_account"):
            qs = qs.filter(external_account_id=f["external_account"])
        return paginated_response(serializer_class=s.MatchSerializer, queryset=qs, request=request, view=self)

    @extend_schema(operation_id="reconciliation_matches_create", tags=TAGS, summary="Match lines to postings by hand",
                   request=s.MatchInputSerializer,
                   responses={201: s.MatchSerializer, **problem_responses(400, 401, 403, 404, 409, 422)})
    def post(self, request):
        serializer = s.MatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        match = services.match_create(actor=request.user, **serializer.validated_data)
        return Response(s.MatchSerializer(match).data, status=201)


class MatchUnmatchApi(ReconciliationApi):
    required_perms = {"POST": [P + "match_manually"]}

    @extend_schema(operation_id="reconciliation_matches_unmatch", tags=TAGS, parameters=[path_id("match_id")],
                   request=s.ReconciliationReasonSerializer,
                   responses={200: s.MatchSerializer, **problem_responses(400, 401, 403, 404, 409)})
    def post(self, request, match_id: int):
        serializer = s.ReconciliationReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        match = services.match_unmatch(match_id=match_id, actor=request.user, **serializer.validated_data)
        return Response(s.MatchSerializer(match).data)


class MatchConfirmApi(ReconciliationApi):
    required_perms = {"POST": [P + "match_manually"]}

    @extend_schema(operation_id="reconciliation_matches_confirm", tags=TAGS, summary="Confirm a suggestion",
                   parameters=[path_id("match_id")], request=None,
                   responses={201: s.MatchSerializer, **problem_responses(401, 403, 404, 409)})
    def post(self, request, match_id: int):
        refuse_body(request)
        return Response(s.MatchSerializer(services.match_confirm(match_id=match_id, actor=request.user)).data,
                        status=201)


class BreakListApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_break"]}

    @extend_schema(operation_id="reconciliation_breaks_list", tags=TAGS, parameters=[s.BreakFilterSerializer],
                   responses={200: s.BreakSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.BreakFilterSerializer, request)
        root_cause = f.get("root_cause")
        qs = selectors.break_search(
            status=f.get("status", ""), external_account_id=f.get("external_account"), owner_id=f.get("owner"),
            root_cause="" if root_cause == "unknown" else root_cause, bucket=f.get("age", ""))
        return paginated_response(serializer_class=s.BreakSerializer, queryset=qs.order_by("-id"), request=request,
                                  view=self)


class BreakDetailApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_break"]}

    @extend_schema(operation_id="reconciliation_breaks_retrieve", tags=TAGS, summary="A break with its history",
                   parameters=[path_id("break_id")],
                   responses={200: s.ReconciliationBreakDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, break_id: int):
        return Response(s.ReconciliationBreakDetailSerializer(_get(Break, break_id)).data)


class BreakAgeingApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_break"]}

    @extend_schema(operation_id="reconciliation_breaks_ageing", tags=TAGS,
                   summary="Ageing of breaks: count and amount per currency, state and age bucket",
                   description="Age = days since the item's value date; buckets `0-2d`, `3-7d`, `8-30d`, `over-30d`. "
                   "Outstanding breaks (open, investigating) unless `include_closed`. Only non-empty cells are listed; "
                   "amounts are decimal strings.",
                   parameters=[s.ReconciliationAgeingQuerySerializer],
                   responses={200: s.ReconciliationAgeingSerializer, **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.ReconciliationAgeingQuerySerializer, request)
        as_of = selectors.today()
        rows = selectors.breaks_ageing(as_of=as_of, external_account_id=f.get("external_account"),
                                       include_closed=f["include_closed"])
        body = {"as_of": as_of, "buckets": list(selectors.BUCKET_CODES),
                "rows": [{**row, "amount": str(row["amount"]), "net": str(row["net"])} for row in rows]}
        return Response(s.ReconciliationAgeingSerializer(body).data)


class BreakAssignApi(ReconciliationApi):
    required_perms = {"POST": [P + "change_break"]}

    @extend_schema(operation_id="reconciliation_breaks_assign", tags=TAGS,
                   summary="Assign a break (owner, root cause, note); an open break moves to investigating",
                   parameters=[path_id("break_id")], request=s.ReconciliationBreakAssignSerializer,
                   responses={200: s.BreakSerializer, **problem_responses(400, 401, 403, 404, 409, 422)})
    def post(self, request, break_id: int):
        serializer = s.ReconciliationBreakAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        brk = services.break_assign(break_id=break_id, actor=request.user, owner=data.get("owner"),
                                    root_cause=data.get("root_cause"), note=data["note"])
        return Response(s.BreakSerializer(brk).data)


# The break's transitions, each with the permission, operation and summary of the transition table
# (reconciliation/transitions.py).


class BreakInvestigateApi(ReconciliationApi):
    transition = transitions.INVESTIGATE
    required_perms = {"POST": [transition.permission]}

    @extend_schema(operation_id=f"reconciliation_breaks_{transitions.INVESTIGATE.name}", tags=TAGS,
                   summary=transitions.INVESTIGATE.summary, parameters=[path_id("break_id")],
                   request=s.ReconciliationBreakNoteSerializer,
                   responses={200: s.BreakSerializer, **problem_responses(400, 401, 403, 404, 409)})
    def post(self, request, break_id: int):
        serializer = s.ReconciliationBreakNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        brk = services.break_investigate(break_id=break_id, actor=request.user, note=serializer.validated_data["note"])
        return Response(s.BreakSerializer(brk).data)


class BreakWriteOffApi(ReconciliationApi):
    transition = transitions.WRITE_OFF
    required_perms = {"POST": [transition.permission]}

    @extend_schema(operation_id=f"reconciliation_breaks_{transitions.WRITE_OFF.name}", tags=TAGS,
                   summary=transitions.WRITE_OFF.summary, parameters=[path_id("break_id")],
                   request=s.ReconciliationReasonSerializer,
                   responses={200: s.BreakSerializer, **problem_responses(400, 401, 403, 404, 409)})
    def post(self, request, break_id: int):
        serializer = s.ReconciliationReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        brk = services.break_write_off(break_id=break_id, actor=request.user, **serializer.validated_data)
        return Response(s.BreakSerializer(brk).data)


class BreakResolveApi(ReconciliationApi):
    transition = transitions.RESOLVE
    required_perms = {"POST": [transition.permission]}

    @extend_schema(operation_id=f"reconciliation_breaks_{transitions.RESOLVE.name}", tags=TAGS,
                   summary=transitions.RESOLVE.summary, parameters=[path_id("break_id"), key_parameter()],
                   request=s.BreakResolveSerializer,
                   responses={200: s.BreakSerializer, **problem_responses(400, 401, 403, 404, 409, 422)})
    def post(self, request, break_id: int):
        key = idempotency_key(request)
        serializer = s.BreakResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.break_resolve_by_adjustment(break_id=break_id, actor=request.user, idempotency_key=key,
                                                      **serializer.validated_data)
        if isinstance(result, Deferred):
            return Response(result.body, status=202, headers={"Location": result.location})
        return Response(s.BreakSerializer(result).data)


#: The view of each transition of the table, in table order.
TRANSITION_VIEWS: dict[str, type[ReconciliationApi]] = {
    view.transition.name: view for view in (BreakInvestigateApi, BreakResolveApi, BreakWriteOffApi)}


def _safeguarding_checks(request):
    f = query_params(s.ReconciliationSafeguardingFilterSerializer, request)
    return selectors.safeguarding_history(date_from=f.get("date_from"), date_to=f.get("date_to"),
                                          currency=f.get("currency", ""), outcome=f.get("outcome", ""))


class SafeguardingListApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_safeguardingcheck"]}

    @extend_schema(operation_id="reconciliation_safeguarding_list", tags=TAGS,
                   summary="Daily safeguarding checks per currency",
                   parameters=[s.ReconciliationSafeguardingFilterSerializer],
                   responses={200: s.SafeguardingSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        return paginated_response(serializer_class=s.SafeguardingSerializer, queryset=_safeguarding_checks(request)
                                  .order_by("-id"), request=request, view=self)


class CsvRenderer(BaseRenderer):
    """Passes the CSV text through; a problem document (an error) is rendered as JSON, with the
    problem's own content type set by the exception handler."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode()
        return JSONRenderer().render(data)


class SafeguardingExportApi(ReconciliationApi):
    required_perms = {"GET": [P + "view_safeguardingcheck"]}
    renderer_classes = [CsvRenderer, JSONRenderer]
    pagination_class = None

    @extend_schema(operation_id="reconciliation_safeguarding_export", tags=TAGS,
                   summary="The safeguarding checks as CSV",
                   description="Columns `date,currency,client_money,safeguarded,difference,outcome`, newest first; "
                   "amounts are decimal strings with the currency's decimals; outcome `ok`, `shortfall` or `excess`.",
                   parameters=[s.ReconciliationSafeguardingFilterSerializer],
                   responses={(200, "text/csv"): OpenApiTypes.STR, **problem_responses(400, 401, 403)})
    def get(self, request):
        body = selectors.safeguarding_csv(_safeguarding_checks(request))
        return Response(body, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="safeguarding.csv"'})
