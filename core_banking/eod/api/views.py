"""The end of day over REST: the runs and their progress, starting or re-running a run, the
chunks of a run (to find the failed ones and their errors), and the bank calendar with the open
business date and its cut-off.

One API class per URL; each validates, calls one service or selector and serializes. Refusals
are ``application/problem+json`` with stable codes: ``eod_previous_incomplete`` and
``eod_date_not_open`` (409), ``eod_date_in_future`` (400), ``eod_run_not_found`` (404),
``validation_error``, ``permission_denied``.

Starting answers **202 Accepted**, not 201: the run row exists at once, but the work (the steps'
chunks) goes on asynchronously on the Celery workers; the client follows it with
``GET /api/v1/eod/runs/{business_date}/``. A date whose run has already completed answers 200
and starts nothing.

Authorisation: the end of day is bank-internal.

* token clients need the ``eod`` scope, and a *bank-channel* client (``ApiClient.kind``): a
  partner's token is refused (403 ``permission_denied``) whatever its role or scopes. The engine
  does not know API clients; it asks the client-isolation seam (``client_scope``), which answers
  ``None`` (sees everything) for staff and bank channels and the partner's own user for partners;
* then the role permissions: ``eod.view_eodrun`` to read (runs, chunks, calendar),
  ``eod.start_eodrun`` to start or re-run (see ``core_banking/eod/roles.py``).
"""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import BankInternal, HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, problem_responses
from core_banking.eod import exceptions as exc
from core_banking.eod import selectors, services, tasks
from core_banking.eod.models import EodRun
from core_banking.eod.roles import START, VIEW

from . import serializers as s

RUNS, CALENDAR = "End of day", "Bank calendar"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")



class EodApi(APIView):
    required_scopes = ["eod"]
    permission_classes = [IsAuthenticated, HasScope, BankInternal, RequiresPermissions]
    bank_internal_message = "The end of day is bank-internal: a partner's API token may not call it."
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


def _business_date(value: str) -> dt.date:
    """The date in the URL; not a date (YYYY-MM-DD) is a run that does not exist."""
    try:
        if _DATE.match(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise exc.EodRunNotFound(f"{value!r} is not a business date (YYYY-MM-DD)", business_date=value)


def _path_date() -> OpenApiParameter:
    return OpenApiParameter("business_date", dt.date, OpenApiParameter.PATH, description="YYYY-MM-DD")


def _run(business_date: dt.date) -> dict:
    return s.EodRunSerializer(selectors.run_get(business_date=business_date)).data


class EodRunCursor(DefaultCursorPagination):
    ordering = ("-business_date",)


class EodRunListStartApi(EodApi):
    required_perms = {"GET": [VIEW], "POST": [START]}
    pagination_class = EodRunCursor

    @extend_schema(operation_id="eod_runs_list", tags=[RUNS], summary="End-of-day runs",
                   description="Newest business date first, each with its steps' progress and its status history.",
                   parameters=[s.EodRunFilterSerializer],
                   responses={200: s.EodRunSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.EodRunFilterSerializer, request)
        return paginated_response(serializer_class=s.EodRunSerializer, queryset=selectors.run_list(
            status=f.get("status", "")), request=request, view=self)

    @extend_schema(
        operation_id="eod_runs_start", tags=[RUNS], summary="Start or re-run the end of day of a business date",
        description="The open business date: the cut-off closes it to postings, opens the next business date "
        "and starts the steps. A date whose run failed: the run is resumed (its failed chunks are tried again). "
        "A date whose run is still running: its outstanding chunks are sent to the workers again (after a worker "
        "died; the steps are idempotent). **202 Accepted**, not 201: the work goes on asynchronously; follow it "
        "with `GET /api/v1/eod/runs/{business_date}/` (the `Location` header). A completed run answers 200 and "
        "starts nothing.",
        request=s.EodStartInputSerializer,
        responses={
            202: OpenApiResponse(s.EodRunSerializer, description="Started, resumed or sent on; in progress."),
            200: OpenApiResponse(s.EodRunSerializer, description="Already completed: nothing was started."),
            **problem_responses(401, 403),
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="`validation_error`, or `eod_date_in_future`: the date is after "
                "the open business date."),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="`eod_previous_incomplete`: the previous date's run has not "
                "completed (re-run it first); `eod_date_not_open`: the date is closed and has no run."),
        },
    )
    def post(self, request):
        serializer = s.EodStartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.eod_start(business_date=serializer.validated_data["business_date"], actor=request.user)
        status = 200
        if run.status != EodRun.Status.COMPLETED:
            tasks.kick(run)  # with no broker the tasks run in-process and the run may be over already
            status = 202
        location = reverse("eod:run-detail", kwargs={"business_date": run.business_date.isoformat()})
        return Response(_run(run.business_date), status=status, headers={"Location": location})


class EodRunDetailApi(EodApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="eod_runs_retrieve", tags=[RUNS],
                   summary="The run of a business date with its steps and history",
                   parameters=[_path_date()],
                   responses={200: s.EodRunSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, business_date: str):
        return Response(_run(_business_date(business_date)))


class EodChunkCursor(DefaultCursorPagination):
    ordering = ("id",)


class EodChunkListApi(EodApi):
    required_perms = {"GET": [VIEW]}
    pagination_class = EodChunkCursor

    @extend_schema(operation_id="eod_runs_chunks", tags=[RUNS], summary="The chunks of a run",
                   description="In the order they were planned (step by step, by index); `?status=failed` for the "
                   "ones that failed every attempt, with the last attempt's error.",
                   parameters=[_path_date(), s.EodChunkFilterSerializer],
                   responses={200: s.EodChunkSerializer(many=True), **problem_responses(400, 401, 403, 404)})
    def get(self, request, business_date: str):
        day = _business_date(business_date)
        f = query_params(s.EodChunkFilterSerializer, request)
        chunks = selectors.run_chunks(business_date=day, status=f.get("status", ""), step=f.get("step", ""))
        return paginated_response(serializer_class=s.EodChunkSerializer, queryset=chunks, request=request, view=self)


class EodCalendarApi(EodApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="eod_calendar", tags=[CALENDAR],
                   summary="The open business date, its cut-off, and the bank calendar",
                   description="Every date of the range with whether it is a business date, a weekend day or a "
                   "holiday, and the status of its end-of-day run. Weekends are BANK_WEEKEND, holidays "
                   "BANK_HOLIDAYS and BANK_EXTRA_HOLIDAYS; the cut-off is BANK_CUTOFF.",
                   parameters=[s.CalendarFilterSerializer],
                   responses={200: s.EodCalendarSerializer, **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.CalendarFilterSerializer, request)
        return Response(s.EodCalendarSerializer(selectors.calendar_range(date_from=f.get("from"),
                                                                          date_to=f.get("to"))).data)
