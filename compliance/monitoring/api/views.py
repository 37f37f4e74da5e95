"""Transaction monitoring rules over REST: the rules with their versions, proposing a new rule
or a new version, activating and deactivating a rule.

One API class per URL; each validates, calls one service or selector and serializes. Refusals are
``application/problem+json``: ``invalid_monitoring_rule`` (with ``field``),
``monitoring_rule_not_found``, and from maker-checker ``initiation_forbidden``,
``duplicate_pending_request``, ``invalid_approval_payload``.

Authorisation: the ``compliance`` scope for token clients, then ``view_monitoringrule`` to read
and ``manage_monitoringrule`` to change (compliance officers; reviewers read).

Maker-checker: every change is a ``monitoring_rule_change``: checked as the service would check
it (the same refusals, nothing written) and answered ``202 Accepted`` with the approval request
(``Location``); it happens when another compliance officer approves it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.approvals.guard import submit
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import BankInternal, HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.maker_checker import PendingApprovalSerializer, credential_of, deferred_response, jsonable

from .. import selectors, services
from ..roles import MANAGE, VIEW_RULE
from . import serializers as s

TAG = "Transaction monitoring"
REFUSED = {(422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
    ProblemSerializer, description="Refused: `invalid_monitoring_rule`, with the offending `field`.")}
DEFERRED = {202: OpenApiResponse(PendingApprovalSerializer, description="Not executed: the approval request it "
                                 "created (`Location` header); another compliance officer decides. Also "
                                 "`initiation_forbidden`, `duplicate_pending_request`.")}


def _change(request, payload: dict, execute):
    """The 202 of a rule change, or None when the gate lets it execute now."""
    return submit(services.ACTION_TYPE, payload, actor=request.user, credential=credential_of(request),
                  reason=payload.get("reason", ""), execute=execute)


def _detail(rule_id: int) -> dict:
    return s.MonitoringRuleOutputSerializer(selectors.rule_get(rule_id=rule_id)).data


class MonitoringApi(APIView):
    required_scopes = ["compliance"]
    permission_classes = [IsAuthenticated, HasScope, BankInternal, RequiresPermissions]
    bank_internal_message = "Transaction monitoring is bank-internal: a partner's API token may not call it."
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class RuleCursorPagination(DefaultCursorPagination):
    ordering = "code"


class RuleListApi(MonitoringApi):
    required_perms = {"GET": [VIEW_RULE], "POST": [VIEW_RULE, MANAGE]}
    pagination_class = RuleCursorPagination

    @extend_schema(operation_id="monitoring_rules_list", tags=[TAG], summary="List monitoring rules",
                   description="In code order, each with its versions (newest first).",
                   parameters=[s.MonitoringRuleFilterSerializer],
                   responses={200: s.MonitoringRuleOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.MonitoringRuleFilterSerializer, request)
        rules = selectors.rule_list(kind=f.get("kind", ""), is_active=f.get("is_active"), code=f.get("code", ""))
        return paginated_response(serializer_class=s.MonitoringRuleOutputSerializer, queryset=rules,
                                  request=request, view=self)

    @extend_schema(operation_id="monitoring_rules_create", tags=[TAG], summary="Propose a new rule",
                   description="A rule of one of the typologies (`kind`) with its version 1: e.g. a second "
                   "`large_amount` rule for one customer segment with its own threshold. `invalid_monitoring_rule` "
                   "with `field` = `code` when the code is taken.",
                   request=s.MonitoringRuleCreateInputSerializer,
                   responses={201: s.MonitoringRuleOutputSerializer, **DEFERRED,
                              **problem_responses(400, 401, 403, 409), **REFUSED})
    def post(self, request):
        serializer = s.MonitoringRuleCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason, version = data.pop("reason"), dict(data.pop("version"))

        def execute():
            return services.rule_create(**data, actor=request.user, reason=reason, **version)

        deferred = _change(request, {"operation": "rule_create", **data, "version": jsonable(version),
                                     "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        rule = execute()
        return Response(_detail(rule.pk), status=status.HTTP_201_CREATED)


class RuleDetailApi(MonitoringApi):
    required_perms = {"GET": [VIEW_RULE]}

    @extend_schema(operation_id="monitoring_rules_retrieve", tags=[TAG], summary="A monitoring rule with its versions",
                   parameters=[path_id("rule_id")],
                   responses={200: s.MonitoringRuleOutputSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, rule_id: int):
        return Response(_detail(rule_id))


class RuleVersionCreateApi(MonitoringApi):
    required_perms = {"POST": [VIEW_RULE, MANAGE]}

    @extend_schema(operation_id="monitoring_rules_version_propose", tags=[TAG],
                   summary="Propose a new version of a rule",
                   description="The next version number; in force from `effective_from` (default: the open "
                   "business date, never earlier). Earlier versions and the alerts they raised are unchanged.",
                   parameters=[path_id("rule_id")], request=s.RuleVersionInputSerializer,
                   responses={201: s.MonitoringRuleOutputSerializer, **DEFERRED,
                              **problem_responses(400, 401, 403, 404, 409), **REFUSED})
    def post(self, request, rule_id: int):
        serializer = s.RuleVersionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason")
        selectors.rule_get(rule_id=rule_id)  # 404 first

        def execute():
            return services.version_create(rule_id=rule_id, actor=request.user, reason=reason, **data)

        deferred = _change(request, {"operation": "version_create", "rule_id": rule_id, "version": jsonable(data),
                                     "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        execute()
        return Response(_detail(rule_id), status=status.HTTP_201_CREATED)


class _ActiveApi(MonitoringApi):
    required_perms = {"POST": [VIEW_RULE, MANAGE]}
    is_active = True

    def _post(self, request, rule_id: int):
        serializer = s.MonitoringReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        selectors.rule_get(rule_id=rule_id)

        def execute():
            return services.rule_set_active(rule_id=rule_id, is_active=self.is_active, actor=request.user,
                                            reason=reason)

        operation = "activate" if self.is_active else "deactivate"
        deferred = _change(request, {"operation": operation, "rule_id": rule_id, "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        execute()
        return Response(_detail(rule_id))


class RuleActivateApi(_ActiveApi):
    is_active = True

    @extend_schema(operation_id="monitoring_rules_activate", tags=[TAG], summary="Activate a rule",
                   parameters=[path_id("rule_id")], request=s.MonitoringReasonSerializer,
                   responses={200: s.MonitoringRuleOutputSerializer, **DEFERRED,
                              **problem_responses(400, 401, 403, 404, 409), **REFUSED})
    def post(self, request, rule_id: int):
        return self._post(request, rule_id)


class RuleDeactivateApi(_ActiveApi):
    is_active = False

    @extend_schema(operation_id="monitoring_rules_deactivate", tags=[TAG], summary="Deactivate a rule",
                   parameters=[path_id("rule_id")], request=s.MonitoringReasonSerializer,
                   responses={200: s.MonitoringRuleOutputSerializer, **DEFERRED,
                              **problem_responses(400, 401, 403, 404, 409), **REFUSED})
    def post(self, request, rule_id: int):
        return self._post(request, rule_id)
