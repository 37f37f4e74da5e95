"""API clients over REST: who am I, and client/token administration (administrators only).

One API class per URL, with nested input/output serializers; each view validates, calls one
service or selector, and serializes.

Maker-checker: creating a client (`api_client_create`) and widening one (`api_client_change`: a
new scope, or reactivation) are initiated by an administrator and decided by a compliance officer,
so these routes answer `202 Accepted` with the approval request they created (`Location` names
it); the client is created or changed when it is approved. Narrowing a client (dropping scopes,
deactivating it) and revoking a token only reduce access and apply at once.
"""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.approvals.guard import submit
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.permissions import HasScope, RequiresPermissions, require_perms
from core_banking.common.api.schema import path_id, problem_responses
from core_banking.common.api.strict import StrictInputSerializer, refuse_body
from core_banking.common.errors import NotFound
from core_banking.common.maker_checker import PendingApprovalSerializer, credential_of, deferred_response

from ..models import ROLE_NAMES, ApiClient, ApiToken
from ..selectors import api_client_get, api_client_list, api_token_get_by_prefix, api_token_list
from ..services import (
    api_client_create,
    api_client_update,
    api_client_widens,
    api_token_issue,
    api_token_revoke,
    clean_scopes,
)

TAG = "API clients"
DEFERRED = {202: OpenApiResponse(PendingApprovalSerializer, description="Not executed: the approval request "
                                 "it created (`Location` header), decided by a compliance officer. Also "
                                 "`initiation_forbidden`, `duplicate_pending_request`.")}


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class ApiClientOutputSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    owner = OwnerSerializer(read_only=True, allow_null=True,
                            help_text="The staff member answerable for the client.")

    class Meta:
        model = ApiClient
        fields = ["id", "name", "username", "role", "scopes", "is_active", "owner", "created_at",
                  "created_by"]
        read_only_fields = fields


class ApiTokenOutputSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ApiToken
        fields = ["prefix", "client", "created_at", "created_by", "expires_at", "revoked_at",
                  "revoked_by", "last_used_at"]
        read_only_fields = fields


def _client_or_404(client_id: int) -> ApiClient:
    client = api_client_get(client_id=client_id)
    if client is None:
        raise NotFound(f"There is no API client with id {client_id}.")
    return client


class MeApi(APIView):
    """Who the caller is, as the API sees it: for clients to check their setup."""

    class MeOutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        authentication = serializers.ChoiceField(choices=["token", "session"])
        client = serializers.CharField(allow_null=True, help_text="API client name, if any.")
        token = serializers.CharField(allow_null=True, help_text="Prefix of the token used.")
        token_expires_at = serializers.DateTimeField(allow_null=True)
        roles = serializers.ListField(child=serializers.CharField())
        scopes = serializers.ListField(
            child=serializers.CharField(),
            allow_null=True,
            help_text="Scopes of the token; null for a staff session, where scopes do not apply.",
        )
        permissions = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        operation_id="me_retrieve",
        tags=["Me"],
        responses={200: MeOutputSerializer, **problem_responses(401)},
    )
    def get(self, request):
        user = request.user
        token = request.auth
        client = getattr(user, "api_client", None)
        data = {
            "username": user.get_username(),
            "authentication": "token" if token is not None else "session",
            "client": client.name if client else None,
            "token": getattr(token, "prefix", None),
            "token_expires_at": getattr(token, "expires_at", None),
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "scopes": sorted(token.scopes) if hasattr(token, "scopes") else None,
            "permissions": sorted(user.get_all_permissions()),
        }
        return Response(self.MeOutputSerializer(data).data)


class ApiClientListCreateApi(APIView):
    required_scopes = ["api_clients"]  # a token manages clients only with this scope
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms = {
        "GET": ["api_clients.view_apiclient"],
        "POST": ["api_clients.add_apiclient"],
    }
    pagination_class = DefaultCursorPagination

    class ApiClientCreateInputSerializer(StrictInputSerializer):
        name = serializers.CharField(
            max_length=64, help_text="2-64 of [a-z0-9._-]; the user is named `api:<name>`."
        )
        role = serializers.CharField(
            max_length=64, help_text=f"One of: {', '.join(ROLE_NAMES)}."
        )
        scopes = serializers.ListField(
            child=serializers.CharField(max_length=50), default=list, help_text='e.g. ["ledger"]'
        )
        owner = serializers.IntegerField(
            min_value=1, help_text="Id of the owning staff member: an active staff user who is not "
            "an API client."
        )
        reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True,
                                       help_text="Why, for the checker.")

    @extend_schema(
        operation_id="api_clients_list",
        tags=[TAG],
        responses={200: ApiClientOutputSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request):
        return paginated_response(
            serializer_class=ApiClientOutputSerializer,
            queryset=api_client_list(),
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="api_clients_create",
        tags=[TAG],
        summary="Ask for a new API client",
        description="Creates an approval request (`api_client_create`, initiated by an administrator, "
        "decided by a compliance officer); the client, its user in its role group and no other, "
        "is created when it is approved. Issue its first token afterwards. Refusals the creation "
        "would meet (`duplicate_client`, `unknown_role`, `invalid_scope`, `invalid_client_name`, "
        "`invalid_owner`) are given at once and nothing is written.",
        request=ApiClientCreateInputSerializer,
        responses={201: ApiClientOutputSerializer, **DEFERRED, **problem_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        serializer = self.ApiClientCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        owner_id = data.pop("owner")

        def execute():
            return api_client_create(**data, owner=owner_id, created_by=request.user)

        payload = {"name": data["name"], "role": data["role"], "scopes": list(data["scopes"]),
                   "owner_id": owner_id}
        deferred = submit("api_client_create", payload, actor=request.user,
                          credential=credential_of(request), reason=reason, execute=execute)
        if deferred is not None:
            return deferred_response(deferred)
        client = execute()
        return Response(ApiClientOutputSerializer(client).data, status=status.HTTP_201_CREATED)


class ApiClientDetailApi(APIView):
    required_scopes = ["api_clients"]  # a token manages clients only with this scope
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms = {
        "GET": ["api_clients.view_apiclient"],
        "PATCH": ["api_clients.change_apiclient"],
    }

    class ApiClientChangeInputSerializer(StrictInputSerializer):
        scopes = serializers.ListField(child=serializers.CharField(max_length=50), required=False,
                                       help_text="The complete new list; omit to keep them.")
        is_active = serializers.BooleanField(required=False, help_text="Omit to keep it.")
        reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True,
                                       help_text="Why, for the checker (a widening only).")

    @extend_schema(
        operation_id="api_clients_retrieve",
        tags=[TAG],
        parameters=[path_id("client_id")],
        responses={200: ApiClientOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, client_id: int):
        return Response(ApiClientOutputSerializer(_client_or_404(client_id)).data)

    @extend_schema(
        operation_id="api_clients_partial_update",
        tags=[TAG],
        summary="Change an API client's scopes or activity",
        description="Narrowing (dropping scopes, deactivating) applies at once (200). Widening (a new "
        "scope, reactivation) creates an approval request (`api_client_change`, initiated by an "
        "administrator, decided by a compliance officer) and answers 202.",
        parameters=[path_id("client_id")],
        request=ApiClientChangeInputSerializer,
        responses={200: ApiClientOutputSerializer, **DEFERRED, **problem_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, client_id: int):
        client = _client_or_404(client_id)
        serializer = self.ApiClientChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scopes = clean_scopes(data.get("scopes", client.scopes))
        is_active = data.get("is_active", client.is_active)

        def execute():
            return api_client_update(client=client, scopes=scopes, is_active=is_active)

        if api_client_widens(client, scopes=scopes, is_active=is_active):
            deferred = submit("api_client_change",
                              {"client_id": client.pk, "scopes": scopes, "is_active": is_active},
                              actor=request.user, credential=credential_of(request),
                              reason=data.get("reason", ""), execute=execute)
            if deferred is not None:
                return deferred_response(deferred)
        execute()
        return Response(ApiClientOutputSerializer(api_client_get(client_id=client.pk)).data)


class ApiTokenListIssueApi(APIView):
    required_scopes = ["api_clients"]  # a token manages clients only with this scope
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms = {
        "GET": ["api_clients.view_apitoken"],
        "POST": ["api_clients.add_apitoken"],
    }
    pagination_class = DefaultCursorPagination

    class ApiTokenIssueInputSerializer(StrictInputSerializer):
        expires_in_days = serializers.IntegerField(
            min_value=1,
            max_value=3650,
            required=False,
            allow_null=True,
            help_text="Lifetime in days; omit or null for a token that does not expire.",
        )

    class ApiTokenIssueOutputSerializer(ApiTokenOutputSerializer):
        token = serializers.CharField(
            read_only=True,
            help_text="The plain token `<prefix>.<secret>`. Shown in this response only: it "
            "is not stored and cannot be retrieved again.",
        )

        class Meta(ApiTokenOutputSerializer.Meta):
            fields = [*ApiTokenOutputSerializer.Meta.fields, "token"]
            read_only_fields = fields

    @extend_schema(
        operation_id="api_clients_tokens_list",
        tags=[TAG],
        parameters=[OpenApiParameter("client_id", int, OpenApiParameter.PATH)],
        responses={200: ApiTokenOutputSerializer(many=True), **problem_responses(401, 403, 404)},
    )
    def get(self, request, client_id: int):
        return paginated_response(
            serializer_class=ApiTokenOutputSerializer,
            queryset=api_token_list(client=_client_or_404(client_id)),
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="api_clients_tokens_issue",
        tags=[TAG],
        parameters=[OpenApiParameter("client_id", int, OpenApiParameter.PATH)],
        request=ApiTokenIssueInputSerializer,
        responses={
            201: ApiTokenIssueOutputSerializer,
            **problem_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, client_id: int):
        client = _client_or_404(client_id)
        serializer = self.ApiTokenIssueInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        days = serializer.validated_data.get("expires_in_days")
        token, plain = api_token_issue(
            client=client,
            expires_in=timedelta(days=days) if days else None,
            created_by=request.user,
        )
        token.token = plain
        return Response(
            self.ApiTokenIssueOutputSerializer(token).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class ApiTokenRevokeApi(APIView):
    required_scopes = ["api_clients"]  # a token manages clients only with this scope
    permission_classes = [IsAuthenticated, HasScope, require_perms("api_clients.change_apitoken")]

    @extend_schema(
        operation_id="api_tokens_revoke",
        tags=[TAG],
        parameters=[OpenApiParameter("prefix", str, OpenApiParameter.PATH)],
        request=None,
        responses={200: ApiTokenOutputSerializer, **problem_responses(401, 403, 404, 409)},
    )
    def post(self, request, prefix: str):
        refuse_body(request)
        token = api_token_get_by_prefix(prefix=prefix)
        if token is None:
            raise NotFound(f"There is no API token with prefix {prefix!r}.")
        token = api_token_revoke(token=token, by=request.user)
        return Response(ApiTokenOutputSerializer(token).data)
