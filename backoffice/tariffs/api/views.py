"""Tariffs over REST: plans with their versions and rules; creating plans, versions and rules.

One API class per URL; each validates its input, calls one service or selector and serializes
the result. Refusals are ``application/problem+json``: ``invalid_tariff``, ``tariff_exists``,
``tariff_version_in_force``, ``tariff_not_found``.

Authorisation: the ``tariffs`` scope for token clients (``HasScope``), then the Django
permissions in ``required_perms``, given by the role groups (operations maintains tariffs;
finance and support read them).

Maker-checker: prices change through a new version or a rule added to a version that has not
started; from a staff member both are a ``tariff_change``: checked as the service would check
them (the same refusals, nothing written), then answered ``202 Accepted`` with the approval
request they created (``Location`` names it). A new plan charges nothing until it has a
version, so creating one is direct. API clients calling with their token write directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.approvals.guard import submit
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.maker_checker import PendingApprovalSerializer, credential_of, deferred_response

from .. import selectors, services
from . import serializers as s

VIEW = "tariffs.view_tariffplan"
ADD_PLAN = "tariffs.add_tariffplan"
ADD_VERSION = "tariffs.add_tariffversion"
ADD_RULE = "tariffs.add_feerule"
TARIFFS = "Tariffs"

REFUSED = {
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="Refused: `invalid_tariff` (with the offending `field`, and `rule_index` "
        "for a version's rules)."),
}



DEFERRED = {202: OpenApiResponse(PendingApprovalSerializer, description="Staff: not executed; the approval request "
                                 "it created (`Location` header). Also `initiation_forbidden`, "
                                 "`duplicate_pending_request`, `invalid_approval_payload` (a reason is required).")}


def _jsonable(value):
    """Validated input as the approval payload keeps it (JSON: amounts and dates as strings)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def _tariff_change(request, payload: dict, execute):
    return submit("tariff_change", _jsonable(payload), actor=request.user, credential=credential_of(request),
                  reason=payload.get("reason", ""), execute=execute)


class TariffsApi(APIView):
    required_scopes = ["tariffs"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class PlanCursorPagination(DefaultCursorPagination):
    ordering = "code"  # codes are unique


class PlanListCreateApi(TariffsApi):
    required_perms = {"GET": [VIEW], "POST": [ADD_PLAN]}
    pagination_class = PlanCursorPagination

    @extend_schema(
        operation_id="tariffs_plans_list", tags=[TARIFFS], summary="List tariff plans",
        description="In code order, each with its versions (newest first, `effective_to` derived from the next "
        "version), their rules and volume tiers. Cursor pagination.",
        parameters=[s.PlanFilterSerializer],
        responses={200: s.PlanOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        serializer = s.PlanFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        plans = selectors.plan_list(is_active=serializer.validated_data.get("is_active"),
                                    code=serializer.validated_data.get("code", ""))
        return paginated_response(serializer_class=s.PlanOutputSerializer, queryset=plans, request=request,
                                  view=self)

    @extend_schema(
        operation_id="tariffs_plans_create", tags=[TARIFFS], summary="Create a tariff plan",
        description="A plan without versions charges nothing; add a version with its rules next.",
        request=s.PlanCreateInputSerializer,
        responses={201: s.PlanOutputSerializer, **problem_responses(400, 401, 403, 409), **REFUSED},
    )
    def post(self, request):
        serializer = s.PlanCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.plan_create(**serializer.validated_data, actor=request.user)
        return Response(s.PlanOutputSerializer(selectors.plan_get(plan_id=plan.pk)).data, status=201)


class PlanDetailApi(TariffsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(
        operation_id="tariffs_plans_retrieve", tags=[TARIFFS], summary="A tariff plan with its versions and rules",
        parameters=[path_id("plan_id")],
        responses={200: s.PlanOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, plan_id: int):
        return Response(s.PlanOutputSerializer(selectors.plan_get(plan_id=plan_id)).data)


class VersionCreateApi(TariffsApi):
    required_perms = {"POST": [ADD_VERSION]}

    @extend_schema(
        operation_id="tariffs_versions_create", tags=[TARIFFS], summary="Create a version of a plan with its rules",
        description="All or nothing. A version starts no earlier than the current business date (only a plan's "
        "first version may be back-dated) and never on the same date as another version of the plan; it is in "
        "force until the day before the next version starts. Percentages are fractions.",
        parameters=[path_id("plan_id")],
        request=s.VersionCreateInputSerializer,
        responses={201: s.VersionOutputSerializer, **DEFERRED, **problem_responses(400, 401, 403, 404, 409),
                   **REFUSED},
    )
    def post(self, request, plan_id: int):
        serializer = s.VersionCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")

        def execute():
            return services.version_create(plan_id=plan_id, **data, actor=request.user)

        deferred = _tariff_change(request, {"operation": "version_create", "plan_id": plan_id, **data,
                                            "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        version = execute()
        return Response(s.VersionOutputSerializer(selectors.version_get(version_id=version.pk)).data, status=201)


class VersionDetailApi(TariffsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(
        operation_id="tariffs_versions_retrieve", tags=[TARIFFS], summary="A tariff version with its rules",
        parameters=[path_id("version_id")],
        responses={200: s.VersionOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, version_id: int):
        return Response(s.VersionOutputSerializer(selectors.version_get(version_id=version_id)).data)


class RuleCreateApi(TariffsApi):
    required_perms = {"POST": [ADD_RULE]}

    @extend_schema(
        operation_id="tariffs_rules_create", tags=[TARIFFS], summary="Add a fee rule to a version",
        description="Only to a version that has not started yet (409 `tariff_version_in_force` otherwise: "
        "create a new version). One rule per event and channel (409 `tariff_exists`).",
        parameters=[path_id("version_id")],
        request=s.RuleCreateInputSerializer,
        responses={201: s.RuleOutputSerializer, **DEFERRED, **problem_responses(400, 401, 403, 404, 409),
                   **REFUSED},
    )
    def post(self, request, version_id: int):
        serializer = s.RuleCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")

        def execute():
            return services.rule_create(version_id=version_id, **data, actor=request.user)

        deferred = _tariff_change(request, {"operation": "rule_create", "version_id": version_id, "fields": data,
                                            "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        rule = execute()
        return Response(s.RuleOutputSerializer(selectors.rule_get(rule_id=rule.pk)).data, status=201)
