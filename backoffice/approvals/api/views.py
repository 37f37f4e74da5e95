"""Approval requests over REST (scope ``approvals``).

Reading needs ``approvals.view_approvalrequest``; creating and cancelling
``approvals.add_approvalrequest``; approving, rejecting and retrying
``approvals.decide_approvalrequest`` at the door. The service then decides on the request itself
(policy roles, maker-checker). Refusals are ``application/problem+json``: ``permission_denied``,
``initiation_forbidden``, ``checker_role_required``, ``self_approval_forbidden``, ``not_maker``,
``duplicate_pending_request``, ``already_decided``, ``transition_not_allowed``, ``request_expired``,
``nothing_to_retry``, ``reason_required``, ``invalid_approval_payload``, ``approval_request_not_found``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.approvals import selectors, services
from backoffice.approvals.models import DECIDE, INITIATE, VIEW
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.api.strict import refuse_body
from core_banking.common.visibility import ScopedObjectsMixin, client_scope

from . import serializers as s

TAG = "Approvals"
REFUSED = {
    (403, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="`permission_denied` (role or scope), `initiation_forbidden`, "
        "`checker_role_required`, `self_approval_forbidden`, `not_maker`."),
}


def _acting_user():
    # The caller, as the audit context names it (the session's user, or the token's client user).
    from django.contrib.auth import get_user_model

    from core_banking.audit.context import current

    actor_id = current().actor_id
    return None if actor_id is None else get_user_model().objects.filter(pk=actor_id).first()


def request_detail(request_id: int, user=None) -> dict:
    request = selectors.request_get(request_id)
    data = s.ApprovalRequestOutputSerializer(request).data
    data.update({
        "payload": request.payload, "result": request.result, "status_reason": request.status_reason,
        "execution_attempts": request.execution_attempts,
        "target": selectors.request_target(request, user if user is not None else _acting_user()),
        "next_step": selectors.request_next_step(request),
        "decisions": s.ApprovalDecisionOutputSerializer(
            request.decisions.select_related("checker").order_by("id"), many=True).data,
        "history": s.ApprovalHistoryOutputSerializer(
            request.history.select_related("actor").order_by("id"), many=True).data,
    })
    return data


def _request_visible(request_id, *, visible_to):
    selectors.request_get(request_id, visible_to=visible_to)


class ApprovalsApi(ScopedObjectsMixin, APIView):
    # A request in the URL is one the caller may see (client isolation: a partner only its own), else 404.
    scoped_lookups = {"request_id": _request_visible}
    required_scopes = ["approvals"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class ApprovalCursor(DefaultCursorPagination):
    ordering = ("-id",)


class MyRequestsApi(ApprovalsApi):
    required_perms = {"GET": [VIEW], "POST": [VIEW, INITIATE]}
    pagination_class = ApprovalCursor

    @extend_schema(operation_id="approvals_mine", tags=[TAG], summary="Requests I made",
                   description="Newest first; filter by status.", parameters=[s.ApprovalRequestFilterSerializer],
                   responses={200: s.ApprovalRequestOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.ApprovalRequestFilterSerializer, request)
        return paginated_response(serializer_class=s.ApprovalRequestOutputSerializer, request=request, view=self,
                                  queryset=selectors.requests_made_by(request.user, status=f.get("status", "")))

    @extend_schema(operation_id="approvals_create", tags=[TAG], summary="Ask for a sensitive action",
                   description="Nothing executes until enough checkers approve. `initiation_forbidden` for a role "
                   "the action's policy does not let initiate; `duplicate_pending_request` when the same action "
                   "is already pending; `invalid_approval_payload`.",
                   request=s.ApprovalRequestCreateSerializer,
                   responses={201: s.ApprovalRequestDetailSerializer, **problem_responses(400, 401, 409), **REFUSED})
    def post(self, request):
        serializer = s.ApprovalRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.request_create(actor=request.user, **serializer.validated_data)
        return Response(request_detail(created.pk), status=201)


class InboxApi(ApprovalsApi):
    required_perms = {"GET": [VIEW, DECIDE]}

    @extend_schema(operation_id="approvals_inbox", tags=[TAG], summary="Requests waiting for me",
                   description="Pending requests I may approve (a checker role of their policy, not mine, not yet "
                   "decided by me), soonest expiry first. At most `limit`.",
                   parameters=[s.ApprovalInboxFilterSerializer],
                   responses={200: s.ApprovalRequestOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.ApprovalInboxFilterSerializer, request)
        inbox = selectors.inbox_for_user(request.user)
        if (scope := client_scope(request.user)) is not None:
            inbox = inbox.filter(maker=scope)
        inbox = inbox[:f["limit"]]
        return Response(s.ApprovalRequestOutputSerializer(inbox, many=True).data)


class RequestDetailApi(ApprovalsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="approvals_retrieve", tags=[TAG], summary="A request with its decisions and history",
                   parameters=[path_id("request_id")],
                   responses={200: s.ApprovalRequestDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, request_id: int):
        selectors.request_get(request_id, visible_to=client_scope(request.user))
        return Response(request_detail(request_id, request.user))


_DECIDE_ERRORS = {**problem_responses(400, 401, 404, 409), **REFUSED}


class ApproveApi(ApprovalsApi):
    required_perms = {"POST": [VIEW, DECIDE]}

    @extend_schema(operation_id="approvals_approve", tags=[TAG], summary="Approve",
                   description="With the last required approval the action executes at once; if it fails the "
                   "request stays `approved` with `execution_error` (retry it).",
                   parameters=[path_id("request_id")], request=s.ApprovalCommentSerializer,
                   responses={200: s.ApprovalRequestDetailSerializer, **_DECIDE_ERRORS})
    def post(self, request, request_id: int):
        serializer = s.ApprovalCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_approve(request_id=request_id, actor=request.user, **serializer.validated_data)
        return Response(request_detail(request_id))


class RejectApi(ApprovalsApi):
    required_perms = {"POST": [VIEW, DECIDE]}

    @extend_schema(operation_id="approvals_reject", tags=[TAG], summary="Reject (with a reason)",
                   parameters=[path_id("request_id")], request=s.ApprovalReasonSerializer,
                   responses={200: s.ApprovalRequestDetailSerializer, **_DECIDE_ERRORS})
    def post(self, request, request_id: int):
        serializer = s.ApprovalReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_reject(request_id=request_id, actor=request.user, **serializer.validated_data)
        return Response(request_detail(request_id))


class CancelApi(ApprovalsApi):
    required_perms = {"POST": [VIEW, INITIATE]}

    @extend_schema(operation_id="approvals_cancel", tags=[TAG], summary="Cancel my pending request",
                   parameters=[path_id("request_id")], request=s.ApprovalReasonSerializer,
                   responses={200: s.ApprovalRequestDetailSerializer, **_DECIDE_ERRORS})
    def post(self, request, request_id: int):
        serializer = s.ApprovalReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_cancel(request_id=request_id, actor=request.user, **serializer.validated_data)
        return Response(request_detail(request_id))


class RetryApi(ApprovalsApi):
    required_perms = {"POST": [VIEW, DECIDE]}

    @extend_schema(operation_id="approvals_retry", tags=[TAG], summary="Retry a failed execution",
                   description="For an approved request whose execution failed (`nothing_to_retry` otherwise).",
                   parameters=[path_id("request_id")], request=None,
                   responses={200: s.ApprovalRequestDetailSerializer, **_DECIDE_ERRORS})
    def post(self, request, request_id: int):
        refuse_body(request)
        services.request_retry(request_id=request_id, actor=request.user)
        return Response(request_detail(request_id))


#: The view of each staff action of the transition table (``api/urls.py`` routes them by name).
STAFF_ACTION_VIEWS: dict[str, type[ApprovalsApi]] = {
    "approve": ApproveApi, "reject": RejectApi, "cancel": CancelApi, "retry": RetryApi}
