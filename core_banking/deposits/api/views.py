"""Term deposits over REST: products, opening (with an ``Idempotency-Key``), look-up with
filters, the detail with interest accrued to date and the maturity projection, early
withdrawal, and the accrual rows of a deposit.

One API class per URL; each validates, calls one service or selector and serializes. Refusals
are ``application/problem+json`` with stable codes: ``insufficient_funds``,
``deposit_amount_out_of_range``, ``deposit_term_not_allowed``, ``deposit_product_not_available``,
``currency_mismatch``, ``invalid_amount``, ``idempotency_conflict``, ``kyc_not_approved``,
``account_frozen``, ``transition_not_allowed``, ``early_withdrawal_not_allowed``,
``deposit_matured``, ``reason_required``, ``permission_denied``, ...

Authorisation: the ``deposits`` scope for token clients, then the model permissions of
``required_perms`` (``view_depositproduct`` / ``add_depositproduct``, ``view_termdeposit``,
``open_termdeposit``, ``withdraw_termdeposit``, ``view_depositaccrual``); the services check the
write permissions again.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.accounts.selectors import accounts_check_visible
from core_banking.common.api.idempotency import (
    REPLAYED_PARAMETER,
    created_or_replayed,
    idempotency_key,
    key_parameter,
)
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.deposits import selectors, services, transitions

from . import serializers as s

VIEW_PRODUCT = "deposits.view_depositproduct"
ADD_PRODUCT = "deposits.add_depositproduct"
VIEW = "deposits.view_termdeposit"
OPEN = "deposits.open_termdeposit"
VIEW_ACCRUAL = "deposits.view_depositaccrual"
PRODUCTS, DEPOSITS = "Deposit products", "Term deposits"


def _unprocessable(codes: str) -> dict:
    return {(422, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=f"Refused: {codes}.")}


def _deposit_visible(deposit_id, *, visible_to):
    selectors.deposit_get(deposit_id=deposit_id, visible_to=visible_to)


class DepositsApi(ScopedObjectsMixin, APIView):
    # A deposit in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"deposit_id": _deposit_visible}
    required_scopes = ["deposits"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


def _detail(deposit_id: int) -> dict:
    deposit = selectors.deposit_get(deposit_id=deposit_id)
    deposit.projection = selectors.deposit_projection(deposit)
    return s.DepositDetailSerializer(deposit).data


class DepositProductListCreateApi(DepositsApi):
    required_perms = {"GET": [VIEW_PRODUCT], "POST": [ADD_PRODUCT]}

    @extend_schema(operation_id="deposit_products_list", tags=[PRODUCTS], summary="Deposit products",
                   parameters=[s.DepositProductFilterSerializer],
                   responses={200: s.DepositProductSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.DepositProductFilterSerializer, request)
        products = selectors.deposit_product_list(is_active=f.get("is_active"), currency=f.get("currency", ""))
        return Response(s.DepositProductSerializer(products, many=True).data)

    @extend_schema(operation_id="deposit_products_create", tags=[PRODUCTS], summary="Define a deposit product",
                   request=s.DepositProductInputSerializer,
                   responses={201: s.DepositProductSerializer, **problem_responses(400, 401, 403),
                              **_unprocessable("`invalid_deposit_product`, `invalid_amount`")})
    def post(self, request):
        serializer = s.DepositProductInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["currency_id"] = data.pop("currency")
        product = services.deposit_product_create(actor=request.user, **data)
        return Response(s.DepositProductSerializer(selectors.deposit_product_get(product_id=product.pk)).data,
                        status=201)


class DepositListCreateApi(DepositsApi):
    required_perms = {"GET": [VIEW], "POST": [OPEN]}
    pagination_class = DefaultCursorPagination

    @extend_schema(operation_id="deposits_list", tags=[DEPOSITS], summary="Find term deposits",
                   description="Newest first; by customer, status, currency, product, funding account, maturity "
                   "date range or number.",
                   parameters=[s.DepositFilterSerializer],
                   responses={200: s.DepositOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.DepositFilterSerializer, request)
        deposits = selectors.deposit_list(
            customer_id=f.get("customer"), status=f.get("status", ""), currency=f.get("currency", ""),
            product_id=f.get("product"), funding_account_id=f.get("funding_account"),
            maturity_from=f.get("maturity_from"), maturity_to=f.get("maturity_to"), number=f.get("number", ""),
            visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.DepositOutputSerializer, queryset=deposits, request=request,
                                  view=self)

    @extend_schema(
        operation_id="deposits_open", tags=[DEPOSITS], summary="Open a term deposit",
        description="Opens the deposit's own account and moves the principal there from the funding account in "
        "one ledger entry. It starts on the open business date; the maturity date follows from the term.",
        parameters=[key_parameter(), REPLAYED_PARAMETER],
        request=s.DepositOpenInputSerializer,
        responses={201: s.DepositDetailSerializer,
                   200: OpenApiResponse(s.DepositDetailSerializer, description="A replay of an earlier request."),
                   **problem_responses(400, 401, 403, 404, 409),
                   **_unprocessable("`insufficient_funds`, `deposit_amount_out_of_range`, `deposit_term_not_allowed`, "
                                    "`deposit_product_not_available`, `kyc_not_approved`, `account_frozen`, "
                                    "`invalid_deposit`")},
    )
    def post(self, request):
        key = idempotency_key(request)
        serializer = s.DepositOpenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts_check_visible([serializer.validated_data["funding_account_id"]], visible_to=client_scope(request.user))
        deposit, replayed = services.deposit_open(idempotency_key=key, actor=request.user,
                                                  **serializer.validated_data)
        return created_or_replayed(_detail(deposit.pk), replayed=replayed)


class DepositDetailApi(DepositsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="deposits_retrieve", tags=[DEPOSITS],
                   summary="A deposit with its history, interest accrued to date and what maturity pays",
                   parameters=[path_id("deposit_id")],
                   responses={200: s.DepositDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, deposit_id: int):
        return Response(_detail(deposit_id))


class DepositWithdrawApi(DepositsApi):
    # The early withdrawal of the transition table (core_banking/deposits/transitions.py).
    required_perms = {"POST": [transitions.WITHDRAW_EARLY.permission]}

    @extend_schema(operation_id=f"deposits_{transitions.WITHDRAW_EARLY.name}", tags=[DEPOSITS],
                   summary=transitions.WITHDRAW_EARLY.summary,
                   description="Pays the principal and the interest accrued to yesterday, less the product's "
                   "penalty and the withholding tax, to the funding account, and closes the deposit's account.",
                   parameters=[path_id("deposit_id")], request=s.DepositWithdrawInputSerializer,
                   responses={200: s.DepositDetailSerializer, **problem_responses(400, 401, 403, 404, 409),
                              **_unprocessable("`account_frozen`, `account_closed`")})
    def post(self, request, deposit_id: int):
        serializer = s.DepositWithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.deposit_withdraw_early(deposit_id=deposit_id, actor=request.user, **serializer.validated_data)
        return Response(_detail(deposit_id))


class AccrualCursor(DefaultCursorPagination):
    ordering = ("accrual_date", "id")


class DepositAccrualListApi(DepositsApi):
    required_perms = {"GET": [VIEW, VIEW_ACCRUAL]}
    pagination_class = AccrualCursor

    @extend_schema(operation_id="deposits_accruals", tags=[DEPOSITS], summary="A deposit's daily accruals",
                   description="One row per calendar day, unrounded (18 decimal places), in date order.",
                   parameters=[path_id("deposit_id"), s.DepositAccrualFilterSerializer],
                   responses={200: s.DepositAccrualSerializer(many=True), **problem_responses(400, 401, 403, 404)})
    def get(self, request, deposit_id: int):
        f = query_params(s.DepositAccrualFilterSerializer, request)
        rows = selectors.deposit_accruals(deposit_id=deposit_id, date_from=f.get("date_from"),
                                          date_to=f.get("date_to"))
        return paginated_response(serializer_class=s.DepositAccrualSerializer, queryset=rows, request=request,
                                  view=self)
