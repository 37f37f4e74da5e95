"""Customers over REST: onboarding, look-up, updates and status.

One API class per URL. Each validates its input, calls one service (writes) or selector
(reads) and serializes the result; refusals of the services (``invalid_customer``,
``customer_not_found``, ``customer_not_active``, ``customer_has_open_accounts``) are rendered
as ``application/problem+json`` by the project's exception handler.

The KYC status is not set here: the KYC review workflow owns it (inputs that carry it are
refused). Authorisation: the ``customers`` scope for token clients, then the Django model
permissions of ``required_perms``, given by the role groups.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.customers import selectors, services

from . import serializers as s

VIEW = "customers.view_customer"
ADD = "customers.add_customer"
CHANGE = "customers.change_customer"
TAG = "Customers"

UNPROCESSABLE = {
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description="Refused: `invalid_customer` (names by type, ISO country codes, beneficial owners' shares, "
        "related parties only for businesses), `customer_not_active` (a closed customer is not changed).",
    )
}



def _customer_visible(customer_id, *, visible_to):
    selectors.customer_get(customer_id=customer_id, visible_to=visible_to)


class CustomersApi(ScopedObjectsMixin, APIView):
    # Base of the customer views: the `customers` scope, then the per-method `required_perms`; a
    # customer in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"customer_id": _customer_visible}
    required_scopes = ["customers"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


def _detail(customer_id: int) -> dict:
    return s.CustomerOutputSerializer(selectors.customer_get(customer_id=customer_id)).data


class CustomerListCreateApi(CustomersApi):
    required_perms = {"GET": [VIEW], "POST": [ADD]}
    pagination_class = DefaultCursorPagination

    @extend_schema(
        operation_id="customers_list",
        tags=[TAG],
        summary="Find customers",
        description="Newest first; cursor pagination.",
        parameters=[s.CustomerFilterSerializer],
        responses={200: s.CustomerOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        serializer = s.CustomerFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        filters = serializer.validated_data
        customers = selectors.customer_list(
            search=filters.get("search", ""), type=filters.get("type", ""),
            kyc_status=filters.get("kyc_status", ""), status=filters.get("status", ""),
            visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.CustomerOutputSerializer, queryset=customers,
                                  request=request, view=self)

    @extend_schema(
        operation_id="customers_create",
        tags=[TAG],
        summary="Onboard a customer",
        description="A person (first and last name, date of birth) or a business (legal name, registration "
        "number, country of incorporation) with its addresses, tax residencies and, for a business, related "
        "parties. The customer starts with KYC `not_started`; accounts can be opened once the KYC review has "
        "approved it.",
        request=s.CustomerCreateInputSerializer,
        responses={201: s.CustomerOutputSerializer, **problem_responses(400, 401, 403), **UNPROCESSABLE},
    )
    def post(self, request):
        serializer = s.CustomerCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = services.customer_create(actor=request.user, **serializer.validated_data)
        return Response(_detail(customer.pk), status=201)


class CustomerDetailApi(CustomersApi):
    required_perms = {"GET": [VIEW], "PATCH": [CHANGE]}

    @extend_schema(
        operation_id="customers_retrieve",
        tags=[TAG],
        parameters=[path_id("customer_id")],
        responses={200: s.CustomerOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, customer_id: int):
        return Response(_detail(customer_id))

    @extend_schema(
        operation_id="customers_partial_update",
        tags=[TAG],
        summary="Update a customer",
        description="Only the fields sent change. A list sent (`addresses`, `tax_residencies`, "
        "`related_parties`) replaces the customer's list. The type, risk rating, status and KYC status "
        "are not changed here.",
        parameters=[path_id("customer_id")],
        request=s.CustomerUpdateInputSerializer,
        responses={200: s.CustomerOutputSerializer, **problem_responses(400, 401, 403, 404), **UNPROCESSABLE},
    )
    def patch(self, request, customer_id: int):
        serializer = s.CustomerUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.customer_update(customer_id=customer_id, actor=request.user, **serializer.validated_data)
        return Response(_detail(customer_id))


class CustomerStatusApi(CustomersApi):
    required_perms = {"POST": [CHANGE]}

    @extend_schema(
        operation_id="customers_set_status",
        tags=[TAG],
        summary="Activate, suspend or close a customer",
        description="A customer is closed only once all its accounts are closed (409 "
        "`customer_has_open_accounts`).",
        parameters=[path_id("customer_id")],
        request=s.CustomerStatusInputSerializer,
        responses={200: s.CustomerOutputSerializer, **problem_responses(400, 401, 403, 404, 409), **UNPROCESSABLE},
    )
    def post(self, request, customer_id: int):
        serializer = s.CustomerStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.customer_set_status(customer_id=customer_id, actor=request.user, **serializer.validated_data)
        return Response(_detail(customer_id))
