"""Products and customer accounts over REST: the product catalogue, opening accounts, balances,
the lifecycle (freeze, blocks, dormancy, close) and overdrafts.

One API class per URL. Each validates its input, calls one service (writes) or selector
(reads) and serializes the result; refusals of the services are rendered as
``application/problem+json`` with their stable codes: ``kyc_not_approved``,
``customer_not_active``, ``product_not_found``, ``product_not_available``, ``invalid_product``,
``invalid_account``, ``transition_not_allowed``, ``account_not_empty``, ``account_closed``, ...

Authorisation: the ``accounts`` scope for token clients, then the Django model permissions of
``required_perms``: ``view_product``/``add_product``, ``view_account``, ``add_account``
(opening) and ``change_account`` (lifecycle and overdraft).

Maker-checker: ``freeze``, ``unfreeze`` and ``close`` are sensitive actions. Their services pass
the gate of ``core_banking/common/maker_checker.py``: with the back office plugged in, every
call (API token or staff session) is checked as the direct execution would check it and then
answered ``202 Accepted`` with the approval request it created (``Location`` names it).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.accounts import selectors, services, statements, transitions
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.maker_checker import Deferred, PendingApprovalSerializer, deferred_response
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.customers import selectors as customer_selectors
from core_banking.ledger import selectors as ledger_selectors
from core_banking.ledger.api.serializers import BalanceQuerySerializer

from . import serializers as s

VIEW_PRODUCT = "accounts.view_product"
ADD_PRODUCT = "accounts.add_product"
VIEW_ACCOUNT = "accounts.view_account"
ADD_ACCOUNT = "accounts.add_account"
CHANGE_ACCOUNT = "accounts.change_account"
PRODUCTS, ACCOUNTS = "Products", "Accounts"


def _unprocessable(codes: str) -> dict:
    return {(422, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=f"Refused: {codes}.")}


DEFERRED = {202: OpenApiResponse(PendingApprovalSerializer, description="`freeze`, `unfreeze` and `close` "
                                 "are not executed but create an approval request (this body, `Location` header); "
                                 "the action executes when a checker approves it (`/api/v1/approvals/`). Refusals "
                                 "the direct route would give come first, and also `initiation_forbidden`, "
                                 "`duplicate_pending_request`.")}


def _account_visible(account_id, *, visible_to):
    selectors.account_get(account_id=int(account_id), visible_to=visible_to)


class AccountsApi(ScopedObjectsMixin, APIView):
    # Base of the product and account views: the `accounts` scope, then `required_perms`; an
    # account in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"account_id": _account_visible}
    required_scopes = ["accounts"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]



def _account_body(account_id: int) -> dict:
    """The account with its current balance as the ledger reports it."""
    account = selectors.account_get(account_id=account_id)
    balance = ledger_selectors.account_balance(account_id=account.ledger_account_id)
    account.posted_balance, account.held_balance = balance.posted, balance.held
    account.available_balance = balance.available
    return s.CustomerAccountDetailOutputSerializer(account).data


# --- products ------------------------------------------------------------------------------


class ProductCursor(DefaultCursorPagination):
    ordering = "code"


class ProductListCreateApi(AccountsApi):
    required_perms = {"GET": [VIEW_PRODUCT], "POST": [ADD_PRODUCT]}
    pagination_class = ProductCursor

    @extend_schema(
        operation_id="products_list", tags=[PRODUCTS], summary="The product catalogue",
        description="In code order; cursor pagination.",
        parameters=[s.ProductFilterSerializer],
        responses={200: s.ProductOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = query_params(s.ProductFilterSerializer, request)
        products = selectors.product_list(is_active=filters.get("is_active"), currency=filters.get("currency", ""),
                                          kind=filters.get("kind", ""))
        return paginated_response(serializer_class=s.ProductOutputSerializer, queryset=products, request=request,
                                  view=self)

    @extend_schema(
        operation_id="products_create", tags=[PRODUCTS], summary="Define a product",
        request=s.ProductInputSerializer,
        responses={201: s.ProductOutputSerializer, **problem_responses(400, 401, 403),
                   **_unprocessable("`invalid_product` (general-ledger account, overdraft limits, duplicate code), "
                                    "`invalid_amount`")},
    )
    def post(self, request):
        serializer = s.ProductInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(actor=request.user, **serializer.validated_data)
        return Response(s.ProductOutputSerializer(selectors.product_get(product_id=product.pk)).data, status=201)


class ProductDetailApi(AccountsApi):
    required_perms = {"GET": [VIEW_PRODUCT]}

    @extend_schema(
        operation_id="products_retrieve", tags=[PRODUCTS],
        parameters=[path_id("product_id")],
        responses={200: s.ProductOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, product_id: int):
        return Response(s.ProductOutputSerializer(selectors.product_get(product_id=product_id)).data)


# --- accounts ------------------------------------------------------------------------------


class AccountListOpenApi(AccountsApi):
    required_perms = {"GET": [VIEW_ACCOUNT], "POST": [ADD_ACCOUNT]}
    pagination_class = DefaultCursorPagination

    @extend_schema(
        operation_id="accounts_list", tags=[ACCOUNTS], summary="Find accounts",
        description="Newest first, with their current balances; cursor pagination.",
        parameters=[s.AccountFilterSerializer],
        responses={200: s.CustomerAccountOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = query_params(s.AccountFilterSerializer, request)
        accounts = selectors.account_list(
            customer_id=filters.get("customer"), status=filters.get("status", ""),
            currency=filters.get("currency", ""), product_id=filters.get("product"), iban=filters.get("iban", ""),
            visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.CustomerAccountOutputSerializer, queryset=accounts,
                                  request=request, view=self)

    @extend_schema(
        operation_id="accounts_open", tags=[ACCOUNTS], summary="Open an account",
        description="For an active customer whose KYC is approved, from an active product: a new IBAN and a "
        "ledger account under the product's general-ledger account. The account opens active.",
        request=s.AccountOpenInputSerializer,
        responses={201: s.CustomerAccountDetailOutputSerializer, **problem_responses(400, 401, 403, 404),
                   **_unprocessable("`kyc_not_approved`, `customer_not_active`, `product_not_available`, "
                                    "`invalid_account` (overdraft limit outside the product's), `invalid_amount`")},
    )
    def post(self, request):
        serializer = s.AccountOpenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer_selectors.customer_get(customer_id=data["customer"], visible_to=client_scope(request.user))
        account = services.account_open(customer_id=data["customer"], **data["product"], name=data["name"],
                                        overdraft_limit=data["overdraft_limit"], actor=request.user)
        return Response(_account_body(account.pk), status=201)


class AccountDetailApi(AccountsApi):
    required_perms = {"GET": [VIEW_ACCOUNT]}

    @extend_schema(
        operation_id="accounts_retrieve", tags=[ACCOUNTS],
        description="The account, its current posted and available balance and its lifecycle history.",
        parameters=[path_id("account_id")],
        responses={200: s.CustomerAccountDetailOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, account_id: int):
        return Response(_account_body(account_id))


class AccountBalanceApi(AccountsApi):
    required_perms = {"GET": [VIEW_ACCOUNT]}

    @extend_schema(
        operation_id="accounts_balance", tags=[ACCOUNTS], summary="Current or point-in-time balance",
        description="Without parameters: the current posted, held and available balance. With `as_of` (an "
        "instant) or `business_date` (its close): the posted balance then; holds are not kept historically, so "
        "`held`, `pending_in` and `available` are null.",
        parameters=[path_id("account_id"), BalanceQuerySerializer],
        responses={200: s.CustomerAccountBalanceOutputSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def get(self, request, account_id: int):
        query = query_params(BalanceQuerySerializer, request)
        account = selectors.account_get(account_id=account_id, visible_to=client_scope(request.user))
        if query:
            balance = ledger_selectors.balance_as_of(account_id=account.ledger_account_id, at=query.get("as_of"),
                                                     business_date=query.get("business_date"))
            held = pending_in = available = None
        else:
            balance = ledger_selectors.account_balance(account_id=account.ledger_account_id)
            held, pending_in, available = balance.held, balance.pending_in, balance.available
        data = {"account_id": account.pk, "iban": account.iban, "currency": balance.currency,
                "posted": balance.posted, "held": held, "pending_in": pending_in, "available": available,
                "as_of": balance.as_of}
        return Response(s.CustomerAccountBalanceOutputSerializer(data).data)


class AccountTransitionApi(AccountsApi):
    required_perms = {"POST": [CHANGE_ACCOUNT]}

    @extend_schema(
        operation_id="accounts_transition", tags=[ACCOUNTS], summary="Freeze, unfreeze, block, unblock, reactivate",
        description="`freeze` (from any open state), `unfreeze` (frozen to active), `block-debits` and "
        "`block-credits` (from active), `unblock` (a blocked account to active), `reactivate` (dormant to "
        "active). A transition the account's state does not allow is 409 `transition_not_allowed`. A staff "
        "member's `freeze` and `unfreeze` create an approval request (202) instead of executing.",
        parameters=[path_id("account_id"),
                    OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(transitions.BY_SLUG))],
        request=s.ReasonInputSerializer,
        responses={200: s.CustomerAccountDetailOutputSerializer, **DEFERRED,
                   **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id: str, action: str):
        account_id = int(account_id)  # a regex route: the captured id is a string of digits
        serializer = s.ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.account_transition(account_id=account_id, action=transitions.BY_SLUG[action].name,
                                             actor=request.user, reason=serializer.validated_data["reason"])
        if isinstance(result, Deferred):
            return deferred_response(result)
        return Response(_account_body(account_id))


class AccountCloseApi(AccountsApi):
    required_perms = {"POST": [CHANGE_ACCOUNT]}

    @extend_schema(
        operation_id="accounts_close", tags=[ACCOUNTS], summary="Close an account",
        description="Only an account with a zero balance and no pending holds (409 `account_not_empty`) that is "
        "not frozen (409 `transition_not_allowed`). Its ledger account stops taking postings. A staff member's "
        "close creates an approval request (202), after the same checks.",
        parameters=[path_id("account_id")],
        request=s.ReasonInputSerializer,
        responses={200: s.CustomerAccountDetailOutputSerializer, **DEFERRED,
                   **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id: int):
        serializer = s.ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.account_close(account_id=account_id, actor=request.user,
                                        reason=serializer.validated_data["reason"])
        if isinstance(result, Deferred):
            return deferred_response(result)
        return Response(_account_body(account_id))


class AccountOverdraftApi(AccountsApi):
    required_perms = {"POST": [CHANGE_ACCOUNT]}

    @extend_schema(
        operation_id="accounts_set_overdraft", tags=[ACCOUNTS], summary="Change the overdraft limit",
        description="Within the product's maximum; lowering it below what is already drawn is refused "
        "(`insufficient_funds`).",
        parameters=[path_id("account_id")],
        request=s.OverdraftInputSerializer,
        responses={200: s.CustomerAccountDetailOutputSerializer, **problem_responses(400, 401, 403, 404, 409),
                   **_unprocessable("`invalid_account`, `account_closed`, `insufficient_funds`, `invalid_amount`")},
    )
    def post(self, request, account_id: int):
        serializer = s.OverdraftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.account_set_overdraft(account_id=account_id, actor=request.user, **serializer.validated_data)
        return Response(_account_body(account_id))


# --- statements ----------------------------------------------------------------------------


class _DocumentRenderer(BaseRenderer):
    """Passes a rendered document through; anything else (a problem document) as JSON, with the
    problem's own content type set by the exception handler."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data.encode() if isinstance(data, str) else data
        return JSONRenderer().render(data)


class CsvRenderer(_DocumentRenderer):
    media_type = "text/csv"
    format = "csv"


class PdfRenderer(_DocumentRenderer):
    media_type = "application/pdf"
    format = "pdf"


class AccountStatementApi(AccountsApi):
    required_perms = {"GET": [VIEW_ACCOUNT]}
    renderer_classes = [JSONRenderer, CsvRenderer, PdfRenderer]

    @extend_schema(
        operation_id="accounts_statement", tags=[ACCOUNTS], summary="Statement for a period: JSON, CSV or PDF",
        description="Opening balance, every movement (by business date) with its running balance, the payment "
        "reference and counterparty, and the closing balance: the ledger's own figures. `?format=csv` or "
        "`?format=pdf` (or an Accept header) for a document; a period with more than 10,000 movements is "
        "refused with `statement_too_long` rather than cut short (JSON reports `truncated` instead).",
        parameters=[path_id("account_id"), s.CustomerStatementQuerySerializer,
                    OpenApiParameter("format", str, enum=["json", "csv", "pdf"])],
        responses={200: s.CustomerStatementOutputSerializer,
                   (200, "text/csv"): OpenApiTypes.STR, (200, "application/pdf"): OpenApiTypes.BINARY,
                   **problem_responses(400, 401, 403, 404), **_unprocessable("`statement_too_long`")},
    )
    def get(self, request, account_id: int):
        query = query_params(s.CustomerStatementQuerySerializer, request)
        statement = statements.account_statement(account_id=account_id, date_from=query["date_from"],
                                                 date_to=query["date_to"])
        kind = request.accepted_renderer.format
        name = f"statement-{statement.account.iban}-{statement.date_from}-{statement.date_to}"
        if kind == "csv":
            return Response(statements.statement_csv(statement),
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        if kind == "pdf":
            return Response(statements.statement_pdf(statement),
                            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
        return Response(s.CustomerStatementOutputSerializer(statement).data)
