"""Limits over REST: profiles with their rules, customer and account rules, and what remains of
an account's limits.

One API class per URL; each validates its input, calls one service or selector and serializes
the result. Refusals are ``application/problem+json``: ``invalid_limit``, ``limit_exists``,
``limit_not_found``, ``account_not_found``.

Authorisation: the ``limits`` scope for token clients (``HasScope``), then the Django permissions
in ``required_perms``, given by the role groups (operations maintains limits; support and
finance read them).

Maker-checker: a staff member's rule create, change or removal is a ``limit_change``: it is
checked as the service would check it (the same refusals, nothing written) and answered
``202 Accepted`` with the approval request it created (``Location`` names it); the change
happens when a checker approves it. API clients calling with their token write directly.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.approvals.guard import submit
from core_banking.accounts.exceptions import AccountNotFound
from core_banking.accounts.models import Account
from core_banking.accounts.selectors import account_get
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.maker_checker import PendingApprovalSerializer, credential_of, deferred_response
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.ledger.selectors import business_date_current

from .. import selectors, services
from . import serializers as s

VIEW_PROFILE = "limits.view_limitprofile"
VIEW_RULE = "limits.view_limitrule"
ADD_RULE = "limits.add_limitrule"
CHANGE_RULE = "limits.change_limitrule"
DELETE_RULE = "limits.delete_limitrule"
VIEW_USAGE = "limits.view_limitusage"
LIMITS = "Limits"

REFUSED = {
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="Refused: `invalid_limit`, with the offending `field`."),
}
DEFERRED = {202: OpenApiResponse(PendingApprovalSerializer, description="Staff: not executed; the approval request "
                                 "it created (`Location` header). Also `initiation_forbidden`, "
                                 "`duplicate_pending_request`, `invalid_approval_payload` (a reason is required).")}


def _limit_change(request, payload: dict, execute):
    """The 202 of a staff member's limit change, or None for a direct write."""
    return submit("limit_change", payload, actor=request.user, credential=credential_of(request),
                  reason=payload.get("reason", ""), execute=execute)


def _fields(data: dict, raw) -> dict:
    """Rule fields as the approval payload takes them (JSON: amounts as the strings sent)."""
    return {k: (None if v is None else str(raw.get(k, v)) if k.endswith("_amount") else v) for k, v in data.items()}




class LimitsApi(APIView):
    required_scopes = ["limits"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


# --- profiles ------------------------------------------------------------------------------


class ProfileCursorPagination(DefaultCursorPagination):
    ordering = "code"  # codes are unique


class ProfileListApi(LimitsApi):
    required_perms = {"GET": [VIEW_PROFILE]}
    pagination_class = ProfileCursorPagination

    @extend_schema(
        operation_id="limits_profiles_list", tags=[LIMITS], summary="List limit profiles",
        description="In code order, each with its rules (every-channel rule first). Products name a profile in "
        "their `limit_profile_code`. Cursor pagination.",
        parameters=[s.LimitProfileFilterSerializer],
        responses={200: s.LimitProfileOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = query_params(s.LimitProfileFilterSerializer, request)
        profiles = selectors.profile_list(is_active=filters.get("is_active"), code=filters.get("code", ""))
        return paginated_response(serializer_class=s.LimitProfileOutputSerializer, queryset=profiles, request=request,
                                  view=self)


class ProfileDetailApi(LimitsApi):
    required_perms = {"GET": [VIEW_PROFILE]}

    @extend_schema(
        operation_id="limits_profiles_retrieve", tags=[LIMITS], summary="A limit profile with its rules",
        parameters=[path_id("profile_id")],
        responses={200: s.LimitProfileOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, profile_id: int):
        return Response(s.LimitProfileOutputSerializer(selectors.profile_get(profile_id=profile_id)).data)


# --- rules ---------------------------------------------------------------------------------


class RuleListCreateApi(LimitsApi):
    required_perms = {"GET": [VIEW_RULE], "POST": [ADD_RULE]}
    pagination_class = DefaultCursorPagination

    @extend_schema(
        operation_id="limits_rules_list", tags=[LIMITS], summary="List limit rules",
        description="Newest first; filter by profile code, customer, account, scope or channel.",
        parameters=[s.LimitRuleFilterSerializer],
        responses={200: s.LimitRuleOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = query_params(s.LimitRuleFilterSerializer, request)
        rules = selectors.rule_list(profile_code=filters.get("profile", ""), customer_id=filters.get("customer"),
                                    account_id=filters.get("account"), scope=filters.get("scope", ""),
                                    channel=filters.get("channel"))
        return paginated_response(serializer_class=s.LimitRuleOutputSerializer, queryset=rules, request=request,
                                  view=self)

    @extend_schema(
        operation_id="limits_rules_create", tags=[LIMITS], summary="Create a limit rule",
        description="For exactly one of a profile (by code), a customer or an account, on one channel or every "
        "channel (`\"\"`). An account's rule overrides its profile's rule of the same channel field by field; a "
        "customer's rule applies in addition, over all of the customer's accounts. Amounts are strings in the "
        "rule's currency; at least one limit is needed.",
        request=s.LimitRuleCreateInputSerializer,
        responses={201: s.LimitRuleOutputSerializer, **DEFERRED, **problem_responses(400, 401, 403, 404, 409),
                   **REFUSED},
    )
    def post(self, request):
        serializer = s.LimitRuleCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        scope = {"profile_code": data.pop("profile", None), "customer_id": data.pop("customer", None),
                 "account_id": data.pop("account", None)}

        def execute():
            return services.rule_create(**scope, actor=request.user, **data)

        deferred = _limit_change(request, {"operation": "create", **{k: v for k, v in scope.items() if v},
                                           "fields": _fields(data, request.data), "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        rule = execute()
        return Response(s.LimitRuleOutputSerializer(selectors.rule_get(rule_id=rule.pk)).data,
                        status=status.HTTP_201_CREATED)


class RuleDetailApi(LimitsApi):
    required_perms = {"GET": [VIEW_RULE], "PATCH": [CHANGE_RULE], "DELETE": [DELETE_RULE]}

    @extend_schema(
        operation_id="limits_rules_retrieve", tags=[LIMITS], parameters=[path_id("rule_id")],
        responses={200: s.LimitRuleOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, rule_id: int):
        return Response(s.LimitRuleOutputSerializer(selectors.rule_get(rule_id=rule_id)).data)

    @extend_schema(
        operation_id="limits_rules_partial_update", tags=[LIMITS], summary="Change a limit rule",
        description="Only the fields sent change; a limit sent as null is removed. The scope is fixed. The change "
        "applies from the next payment; usage counted so far stays counted.",
        parameters=[path_id("rule_id")],
        request=s.LimitRuleUpdateInputSerializer,
        responses={200: s.LimitRuleOutputSerializer, **DEFERRED, **problem_responses(400, 401, 403, 404, 409),
                   **REFUSED},
    )
    def patch(self, request, rule_id: int):
        serializer = s.LimitRuleUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")

        def execute():
            return services.rule_update(rule_id=rule_id, actor=request.user, reason=reason, **data)

        selectors.rule_get(rule_id=rule_id)  # 404 first
        deferred = _limit_change(request, {"operation": "update", "rule_id": rule_id,
                                           "fields": _fields(data, request.data), "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        execute()
        return Response(s.LimitRuleOutputSerializer(selectors.rule_get(rule_id=rule_id)).data)

    @extend_schema(
        operation_id="limits_rules_destroy", tags=[LIMITS], summary="Remove a limit rule",
        description="A body with a `reason` is optional for API clients and required from staff.",
        parameters=[path_id("rule_id")], request=s.LimitRuleDeleteInputSerializer,
        responses={204: None, **DEFERRED, **problem_responses(400, 401, 403, 404)},
    )
    def delete(self, request, rule_id: int):
        serializer = s.LimitRuleDeleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]

        def execute():
            return services.rule_delete(rule_id=rule_id, actor=request.user, reason=reason)

        selectors.rule_get(rule_id=rule_id)  # 404 first
        deferred = _limit_change(request, {"operation": "delete", "rule_id": rule_id, "reason": reason}, execute)
        if deferred is not None:
            return deferred_response(deferred)
        execute()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- remaining allowance -------------------------------------------------------------------


def _account_visible(account_id, *, visible_to):
    account_get(account_id=account_id, visible_to=visible_to)


class AccountAllowanceApi(ScopedObjectsMixin, LimitsApi):
    required_perms = {"GET": [VIEW_USAGE]}
    scoped_lookups = {"account_id": _account_visible}  # another client's account is 404

    @extend_schema(
        operation_id="limits_accounts_allowance", tags=[LIMITS], summary="What remains of an account's limits",
        description="Every limit a payment from the account on `channel` must respect on `business_date`, with "
        "its usage and what remains (amounts in the limit's currency). A payment passes when it fits every line.",
        parameters=[path_id("account_id"), s.LimitAllowanceQuerySerializer],
        responses={200: s.AccountLimitsAllowanceOutputSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def get(self, request, account_id: int):
        query = query_params(s.LimitAllowanceQuerySerializer, request)
        accounts = Account.objects.select_related("product", "customer").filter(pk=account_id)
        if (scope := client_scope(request.user)) is not None:  # client isolation: another's account is 404
            accounts = accounts.filter(customer__created_by=scope)
        account = accounts.first()
        if account is None:
            raise AccountNotFound(f"account {account_id} does not exist")
        business_date = query.get("business_date") or business_date_current()
        limits = selectors.remaining_allowance(account, query.get("channel", ""), business_date)
        body = {"account": account.pk, "channel": query.get("channel", ""), "business_date": business_date,
                "limits": limits}
        return Response(s.AccountLimitsAllowanceOutputSerializer(body).data)
