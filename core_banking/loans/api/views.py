"""Loans over REST: products, applications, approval, disbursement, repayments, early repayment
(quote and execute) and write-off. One API class per URL; each validates, calls one service or
selector and serializes. Refusals are ``application/problem+json`` with stable codes:
``loan_not_found``, ``loan_product_not_found``, ``invalid_loan_product``, ``loan_amount_out_of_range``,
``loan_term_out_of_range``, ``loan_rate_out_of_range``, ``invalid_loan_application``,
``loan_self_approval``, ``transition_not_allowed``, ``loan_nothing_due``, ``repayment_exceeds_due``,
``loan_overdue``, ``invalid_early_repayment``, ``loan_not_running``, ``insufficient_funds``,
``idempotency_conflict``, ``kyc_not_approved``, ``account_frozen``, ...

Authorisation: the ``loans`` scope for token clients, then the model permissions: ``view_loan``,
``add_loan`` (apply), ``approve_loan``, ``disburse_loan``, ``repay_loan``, ``write_off_loan``,
``view_loanproduct`` / ``add_loanproduct``. The services check them again.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

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
from core_banking.customers.selectors import customer_get
from core_banking.ledger.selectors import business_date_current
from core_banking.loans import selectors, services, transitions
from core_banking.loans.models import APPLY, REPAY, VIEW

from . import serializers as s

VIEW_PRODUCT = "loans.view_loanproduct"
ADD_PRODUCT = "loans.add_loanproduct"
PRODUCTS, LOANS = "Loan products", "Loans"


def _unprocessable(codes: str) -> dict:
    return {(422, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=f"Refused: {codes}.")}


def _loan_visible(loan_id, *, visible_to):
    selectors.loan_get(loan_id=loan_id, visible_to=visible_to)


class LoansApi(ScopedObjectsMixin, APIView):
    # A loan in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"loan_id": _loan_visible}
    required_scopes = ["loans"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


def _detail(loan_id: int) -> dict:
    loan = selectors.loan_get(loan_id=loan_id)
    loan.balances = selectors.loan_balances(loan=loan, day=business_date_current())
    return s.LoanDetailSerializer(loan).data


def _repayment(repayment) -> dict:
    row = selectors.repayment_list(loan_id=repayment.loan_id).get(pk=repayment.pk)
    return s.LoanRepaymentOutputSerializer(row).data


# --- products --------------------------------------------------------------------------------


class LoanProductCursor(DefaultCursorPagination):
    ordering = "code"


class LoanProductListCreateApi(LoansApi):
    required_perms = {"GET": [VIEW_PRODUCT], "POST": [ADD_PRODUCT]}
    pagination_class = LoanProductCursor

    @extend_schema(operation_id="loan_products_list", tags=[PRODUCTS], summary="The loan products",
                   parameters=[s.LoanProductFilterSerializer],
                   responses={200: s.LoanProductOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        filters = query_params(s.LoanProductFilterSerializer, request)
        products = selectors.loan_product_list(is_active=filters.get("is_active"),
                                               currency=filters.get("currency", ""))
        return paginated_response(serializer_class=s.LoanProductOutputSerializer, queryset=products,
                                  request=request, view=self)

    @extend_schema(operation_id="loan_products_create", tags=[PRODUCTS], summary="Define a loan product",
                   request=s.LoanProductInputSerializer,
                   responses={201: s.LoanProductOutputSerializer, **problem_responses(400, 401, 403),
                              **_unprocessable("`invalid_loan_product`, `invalid_amount`")})
    def post(self, request):
        serializer = s.LoanProductInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["currency_id"] = data.pop("currency")
        data["account_product_id"] = data.pop("account_product")
        product = services.loan_product_create(actor=request.user, **data)
        return Response(s.LoanProductOutputSerializer(selectors.loan_product_get(product_id=product.pk)).data,
                        status=201)


class LoanProductDetailApi(LoansApi):
    required_perms = {"GET": [VIEW_PRODUCT]}

    @extend_schema(operation_id="loan_products_retrieve", tags=[PRODUCTS], parameters=[path_id("product_id")],
                   responses={200: s.LoanProductOutputSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, product_id: int):
        return Response(s.LoanProductOutputSerializer(selectors.loan_product_get(product_id=product_id)).data)


# --- loans -----------------------------------------------------------------------------------


class LoanListApplyApi(LoansApi):
    required_perms = {"GET": [VIEW], "POST": [APPLY]}
    pagination_class = DefaultCursorPagination

    @extend_schema(operation_id="loans_list", tags=[LOANS], summary="Find loans",
                   description="Newest first; by customer, status, product, account or delinquency bucket.",
                   parameters=[s.LoanFilterSerializer],
                   responses={200: s.LoanOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.LoanFilterSerializer, request)
        loans = selectors.loan_list(customer_id=f.get("customer"), status=f.get("status", ""),
                                    product_id=f.get("product"), bucket=f.get("bucket", ""),
                                    account_id=f.get("account"), visible_to=client_scope(request.user))
        return paginated_response(serializer_class=s.LoanOutputSerializer, queryset=loans, request=request,
                                  view=self)

    @extend_schema(operation_id="loans_apply", tags=[LOANS], summary="Apply for a loan",
                   description="Checked against the product's amount, term and rate limits; the customer must be "
                   "active with KYC approved and the account theirs, in the product's currency.",
                   request=s.LoanApplyInputSerializer,
                   responses={201: s.LoanDetailSerializer, **problem_responses(400, 401, 403, 404),
                              **_unprocessable("`loan_amount_out_of_range`, `loan_term_out_of_range`, "
                                               "`loan_rate_out_of_range`, `invalid_loan_application`, "
                                               "`loan_product_not_available`, `kyc_not_approved`, "
                                               "`invalid_amount`")})
    def post(self, request):
        serializer = s.LoanApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        customer_get(customer_id=d["customer"], visible_to=client_scope(request.user))
        loan = services.loan_apply(customer_id=d["customer"], product_id=d["product"], account_id=d["account"],
                                   principal=d["principal"], term=d["term"], rate=d["rate"],
                                   start_date=d["start_date"], first_due_date=d["first_due_date"],
                                   actor=request.user)
        return Response(_detail(loan.pk), status=201)


class LoanDetailApi(LoansApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="loans_retrieve", tags=[LOANS], summary="A loan with its schedule and balances",
                   description="Balances: principal outstanding, accrued interest, amount due, overdue amount, days "
                   "past due, delinquency bucket. The schedule lists every instalment with its parts due and paid.",
                   parameters=[path_id("loan_id")],
                   responses={200: s.LoanDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, loan_id: int):
        return Response(_detail(loan_id))


def _transition_schema(spec):
    """The schema of a staff transition's route, from the transition table."""
    return extend_schema(operation_id=f"loans_{spec.name}", tags=[LOANS], summary=spec.summary,
                         parameters=[path_id("loan_id")],
                         request=s.LoanRequiredReasonSerializer if spec.reason_required else s.LoanReasonSerializer,
                         responses={200: s.LoanDetailSerializer, **problem_responses(400, 401, 403, 404, 409),
                                    **_unprocessable(spec.codes)})


# ``POST /loans/{id}/<slug>/`` of a staff action of the transition table
# (``core_banking/loans/transitions.py``): its permission, its body (a reason, required or not) and
# its service, ``services.loan_<name>``. (No docstring: the schema would take it as the description.)
class LoanTransitionApi(LoansApi):
    transition: transitions.LoanTransition

    def post(self, request, loan_id: int):
        spec = self.transition
        serializer = (s.LoanRequiredReasonSerializer if spec.reason_required else s.LoanReasonSerializer)(
            data=request.data)
        serializer.is_valid(raise_exception=True)
        getattr(services, f"loan_{spec.name}")(loan_id=loan_id, actor=request.user, **serializer.validated_data)
        return Response(_detail(loan_id))


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["approve"]))
class LoanApproveApi(LoanTransitionApi):
    transition = transitions.BY_NAME["approve"]
    required_perms = {"POST": [transition.permission]}


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["disburse"]))
class LoanDisburseApi(LoanTransitionApi):
    transition = transitions.BY_NAME["disburse"]
    required_perms = {"POST": [transition.permission]}


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["write_off"]))
class LoanWriteOffApi(LoanTransitionApi):
    transition = transitions.BY_NAME["write_off"]
    required_perms = {"POST": [transition.permission]}


#: The view of each staff transition, by name (``api/urls.py`` routes them by the table's slugs).
TRANSITION_VIEWS: dict[str, type[LoanTransitionApi]] = {
    view.transition.name: view for view in (LoanApproveApi, LoanDisburseApi, LoanWriteOffApi)}


class LoanRepaymentsApi(LoansApi):
    required_perms = {"GET": [VIEW], "POST": [REPAY]}

    @extend_schema(operation_id="loans_repayments_list", tags=[LOANS], summary="A loan's repayments",
                   parameters=[path_id("loan_id")],
                   responses={200: s.LoanRepaymentOutputSerializer(many=True), **problem_responses(401, 403, 404)})
    def get(self, request, loan_id: int):
        selectors.loan_get(loan_id=loan_id)
        return Response(s.LoanRepaymentOutputSerializer(selectors.repayment_list(loan_id=loan_id), many=True).data)

    @extend_schema(operation_id="loans_repay", tags=[LOANS], summary="Repay what is due",
                   description="Allocated in the product's order (default fees, penalties, interest, principal) over "
                   "the instalments due today or earlier, oldest first; debits the customer's account.",
                   parameters=[path_id("loan_id"), key_parameter(), REPLAYED_PARAMETER],
                   request=s.LoanRepaymentInputSerializer,
                   responses={201: s.LoanRepaymentOutputSerializer,
                              200: OpenApiResponse(s.LoanRepaymentOutputSerializer, description="A replay."),
                              **problem_responses(400, 401, 403, 404, 409),
                              **_unprocessable("`loan_nothing_due`, `repayment_exceeds_due`, `insufficient_funds`, "
                                               "`invalid_amount`, `account_frozen`")})
    def post(self, request, loan_id: int):
        key = idempotency_key(request)
        serializer = s.LoanRepaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repayment, replayed = services.loan_repay(loan_id=loan_id, amount=serializer.validated_data["amount"],
                                                  idempotency_key=key, actor=request.user)
        return created_or_replayed(_repayment(repayment), replayed=replayed)


class LoanEarlyRepaymentApi(LoansApi):
    required_perms = {"GET": [VIEW], "POST": [REPAY]}

    @extend_schema(operation_id="loans_early_repayment_quote", tags=[LOANS], summary="Quote an early repayment",
                   description="Without `amount`: the payoff today (what is due, the running period's interest to "
                   "today, the principal outstanding). With `amount`: a partial prepayment of principal and the "
                   "recalculated schedule (same term, lower instalments). Nothing is written.",
                   parameters=[path_id("loan_id"), s.LoanEarlyRepaymentQuerySerializer],
                   responses={200: s.LoanQuoteSerializer, **problem_responses(400, 401, 403, 404, 409),
                              **_unprocessable("`invalid_early_repayment`, `invalid_amount`")})
    def get(self, request, loan_id: int):
        query = query_params(s.LoanEarlyRepaymentQuerySerializer, request)
        loan = selectors.loan_get(loan_id=loan_id)
        amount = query.get("amount")
        if amount is not None:
            amount = services.amount_in(amount, loan.currency.exponent, loan.currency_id)
        quote = selectors.early_repayment_quote(loan=loan, day=business_date_current(), amount=amount)
        return Response(s.LoanQuoteSerializer(quote).data)

    @extend_schema(operation_id="loans_early_repayment", tags=[LOANS], summary="Repay early (in full or in part)",
                   parameters=[path_id("loan_id"), key_parameter(), REPLAYED_PARAMETER],
                   request=s.LoanEarlyRepaymentInputSerializer,
                   responses={201: s.LoanRepaymentOutputSerializer,
                              200: OpenApiResponse(s.LoanRepaymentOutputSerializer, description="A replay."),
                              **problem_responses(400, 401, 403, 404, 409),
                              **_unprocessable("`invalid_early_repayment`, `insufficient_funds`, `invalid_amount`")})
    def post(self, request, loan_id: int):
        key = idempotency_key(request)
        serializer = s.LoanEarlyRepaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        repayment, replayed = services.loan_repay_early(loan_id=loan_id, amount=serializer.validated_data["amount"],
                                                        idempotency_key=key, actor=request.user)
        return created_or_replayed(_repayment(repayment), replayed=replayed)
