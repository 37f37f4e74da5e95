"""Interest over REST: rate schedules with their versions and tiers, a new rate version, and an
account's interest accrued to date with its last capitalisations.

Authorisation: the ``interest`` scope for token clients on the schedules
(``interest.view_interestrateschedule``; ``interest.add_interestrate`` to add a version, which the
service checks again); an account's interest is account data: the ``accounts`` scope and
``accounts.view_account``, and the account must be one the caller may see (client isolation,
else 404). Refusals are ``application/problem+json``: ``invalid_interest_rate``,
``interest_schedule_not_found``, ``account_not_found``, ``permission_denied``.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.accounts.selectors import account_get
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.schema import path_id, problem_responses
from core_banking.common.visibility import ScopedObjectsMixin
from core_banking.interest import selectors, services
from core_banking.interest.models import InterestRate, InterestRateSchedule, InterestRateTier

from . import serializers as s

VIEW_SCHEDULE = "interest.view_interestrateschedule"
ADD_RATE = "interest.add_interestrate"
VIEW_ACCOUNT = "accounts.view_account"
TAG = "Interest"


def _schedules():
    tiers = InterestRateTier.objects.order_by("from_balance").select_related("rate_version__schedule__currency")
    versions = InterestRate.objects.order_by("-effective_from").prefetch_related(Prefetch("tiers", queryset=tiers))
    return (InterestRateSchedule.objects.select_related("currency")
            .prefetch_related(Prefetch("rates", queryset=versions)).order_by("code"))


def _schedule(schedule_id: int) -> InterestRateSchedule:
    schedule = _schedules().filter(pk=schedule_id).first()
    if schedule is None:
        raise services.ScheduleNotFound(f"interest rate schedule {schedule_id} does not exist")
    return schedule


class ScheduleApi(APIView):
    required_scopes = ["interest"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class ScheduleListApi(ScheduleApi):
    required_perms = {"GET": [VIEW_SCHEDULE]}

    @extend_schema(operation_id="interest_schedules_list", tags=[TAG], summary="Interest rate schedules",
                   description="In code order, each with its rate versions (newest first) and their tiers.",
                   responses={200: s.InterestScheduleSerializer(many=True), **problem_responses(401, 403)})
    def get(self, request):
        return Response(s.InterestScheduleSerializer(_schedules(), many=True).data)


class ScheduleDetailApi(ScheduleApi):
    required_perms = {"GET": [VIEW_SCHEDULE]}

    @extend_schema(operation_id="interest_schedules_retrieve", tags=[TAG], summary="An interest rate schedule",
                   parameters=[path_id("schedule_id")],
                   responses={200: s.InterestScheduleSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, schedule_id: int):
        return Response(s.InterestScheduleSerializer(_schedule(schedule_id)).data)


class RateVersionCreateApi(ScheduleApi):
    required_perms = {"POST": [ADD_RATE]}

    @extend_schema(operation_id="interest_rates_create", tags=[TAG], summary="Add a rate version",
                   description="In force from `effective_from` (the open business date or later) until the next "
                   "version starts; days already accrued are never re-priced. Refused: `invalid_interest_rate` "
                   "(bounds, duplicate tier or start date, a date in the past).",
                   parameters=[path_id("schedule_id")], request=s.InterestRateVersionInputSerializer,
                   responses={201: s.InterestScheduleSerializer, **problem_responses(400, 401, 403, 404)})
    def post(self, request, schedule_id: int):
        serializer = s.InterestRateVersionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.rate_version_create(schedule_id=schedule_id, actor=request.user, **serializer.validated_data)
        return Response(s.InterestScheduleSerializer(_schedule(schedule_id)).data, status=201)


def _account_visible(account_id, *, visible_to):
    account_get(account_id=int(account_id), visible_to=visible_to)


class AccountInterestApi(ScopedObjectsMixin, APIView):
    scoped_lookups = {"account_id": _account_visible}
    required_scopes = ["accounts"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms = {"GET": [VIEW_ACCOUNT]}

    @extend_schema(operation_id="accounts_interest", tags=[TAG], summary="An account's interest",
                   description="The interest accrued in the capitalisation period to date (unrounded, and rounded "
                   "once as the ledger holds it) and the last capitalisations.",
                   parameters=[path_id("account_id")],
                   responses={200: s.AccruedInterestSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, account_id: int):
        return Response(s.AccruedInterestSerializer(selectors.accrued_interest(account_id)).data)
