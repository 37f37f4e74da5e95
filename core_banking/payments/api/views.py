"""Payments and FX over REST.

``POST /payments/`` takes an ``Idempotency-Key``; a replay returns the original payment (200,
``Idempotent-Replayed: true``). Every refusal is ``application/problem+json`` with a stable
code: ``kyc_not_approved``, ``account_frozen``, ``account_closed``, ``insufficient_funds``,
``limit_exceeded``, ``invalid_iban``, ``currency_mismatch``, ``invalid_amount``, ...
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
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.maker_checker import Deferred, PendingApprovalSerializer, deferred_response
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.payments import selectors, services, transitions
from core_banking.payments.models import FxRate

from . import serializers as s

VIEW = "payments.view_payment"
INITIATE = "payments.initiate_payment"
VIEW_RATE = "payments.view_fxrate"
ADD_RATE = "payments.add_fxrate"
PAYMENTS, FX = "Payments", "FX"

UNPROCESSABLE = {
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description="Refused: `kyc_not_approved`, `account_frozen`, `account_closed`, `account_debit_blocked`, "
        "`insufficient_funds`, `limit_exceeded`, `invalid_iban`, `currency_mismatch`, `invalid_amount`, "
        "`invalid_payment`, `no_booking_account`, `fx_rate_unavailable`.",
    )
}



def _payment_visible(payment_id, *, visible_to):
    selectors.payment_get(payment_id=payment_id, visible_to=visible_to)


class PaymentsApi(ScopedObjectsMixin, APIView):
    # A payment in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"payment_id": _payment_visible}
    required_scopes = ["payments"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


def _rendered(payment) -> dict:
    """A payment ``payment_create`` just made or replayed, as it hands it over: its relations and
    history already loaded, nothing read again."""
    return s.PaymentDetailSerializer(payment).data


def _detail(payment_id: int) -> dict:
    return s.PaymentDetailSerializer(selectors.payment_get(payment_id=payment_id)).data


class PaymentCursor(DefaultCursorPagination):
    ordering = ("-created_at", "-id")


class PaymentListCreateApi(PaymentsApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    required_perms = {"GET": [VIEW], "POST": [INITIATE]}
    pagination_class = PaymentCursor

    @extend_schema(
        operation_id="payments_list", tags=[PAYMENTS], summary="Find payments",
        description="Support look-up, newest first: by reference or end-to-end id, IBAN (our account on either "
        "side or the counterparty), customer, account, amount range, business-date or time range, status, kind.",
        parameters=[s.PaymentFilterSerializer],
        responses={200: s.PaymentOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        serializer = s.PaymentFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        f = serializer.validated_data
        payments = selectors.payment_search(
            reference=f.get("reference", ""), iban=f.get("iban", ""), customer_id=f.get("customer"),
            account_id=f.get("account"), amount_min=f.get("amount_min"), amount_max=f.get("amount_max"),
            created_from=f.get("created_from"), created_to=f.get("created_to"),
            business_date_from=f.get("date_from"), business_date_to=f.get("date_to"),
            status=f.get("status", ""), kind=f.get("kind", ""), visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.PaymentOutputSerializer, queryset=payments, request=request,
                                  view=self)

    @extend_schema(
        operation_id="payments_create", tags=[PAYMENTS], summary="Make a payment",
        description="Internal transfer, outgoing or incoming external payment, cash deposit or withdrawal, or FX "
        "conversion. The amount, its fees and any review hold are one atomic ledger write. A payment that a check "
        "sends to review comes back `pending_review` with the funds held.",
        parameters=[key_parameter(), REPLAYED_PARAMETER],
        request=s.PaymentInputSerializer,
        responses={201: s.PaymentDetailSerializer,
                   200: OpenApiResponse(s.PaymentDetailSerializer, description="A replay of an earlier request."),
                   **problem_responses(400, 401, 403, 404, 409), **UNPROCESSABLE},
    )
    def post(self, request):
        key = idempotency_key(request)
        serializer = s.PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The body is rendered inside the payment's transaction: no read after the commit can fail. The
        # accounts' visibility to a client is checked on the payment's own first reads (no round trip of its own).
        body, replayed = services.payment_create(serializer.payment_request(), idempotency_key=key,
                                                 actor=request.user, render=_rendered,
                                                 visible_to=client_scope(request.user))
        return created_or_replayed(body, replayed=replayed)


class PaymentPreviewApi(PaymentsApi):
    required_perms = {"POST": [INITIATE]}

    @extend_schema(
        operation_id="payments_preview", tags=[PAYMENTS], summary="What would this payment cost?",
        description="The fees the tariff would charge (and for a conversion the rate and the amount bought), "
        "without making the payment. Nothing is written.",
        request=s.PaymentInputSerializer,
        responses={200: s.PreviewOutputSerializer, **problem_responses(400, 401, 403, 404), **UNPROCESSABLE},
    )
    def post(self, request):
        serializer = s.PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        selectors.payment_request_check_visible(visible_to=client_scope(request.user), **serializer.validated_data)
        preview = services.payment_preview(serializer.payment_request())
        return Response(s.PreviewOutputSerializer(preview).data)


class PaymentDetailApi(PaymentsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="payments_retrieve", tags=[PAYMENTS], summary="A payment with its status history",
                   parameters=[path_id("payment_id")],
                   responses={200: s.PaymentDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, payment_id: int):
        selectors.payment_get(payment_id=payment_id, visible_to=client_scope(request.user))
        return Response(_detail(payment_id))


def _transition_schema(spec: transitions.PaymentTransition):
    """The schema of a staff transition's route, from the transition table."""
    extra = {202: OpenApiResponse(PendingApprovalSerializer, description="A release at or above the approval "
                                  "policy's exemption (by default 50,000 EUR; any amount in another currency) does "
                                  "not post but creates an approval request (this body, `Location` header); the "
                                  "payment posts when a compliance officer approves it.")} if spec.action_type else {}
    return extend_schema(operation_id=f"payments_{spec.slug}", tags=[PAYMENTS], summary=spec.summary,
                         parameters=[path_id("payment_id")],
                         request=s.RequiredReasonSerializer if spec.reason_required else s.ReasonSerializer,
                         responses={200: s.PaymentDetailSerializer, **extra,
                                    **problem_responses(400, 401, 403, 404, 409), **UNPROCESSABLE})


# ``POST /payments/{id}/<slug>/`` of a staff transition of the transition table
# (``core_banking/payments/transitions.py``): its permission, its body (a reason, required or not)
# and its service. (No docstring: the schema would take it as the description.)
class PaymentTransitionApi(PaymentsApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    transition: transitions.PaymentTransition

    def post(self, request, payment_id: int):
        spec = self.transition
        serializer = (s.RequiredReasonSerializer if spec.reason_required else s.ReasonSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = getattr(services, spec.service)
        result = service(payment_id=payment_id, actor=request.user, **serializer.validated_data)
        if isinstance(result, Deferred):  # a release at or above its policy's exemption asks for approval
            return deferred_response(result)
        return Response(_detail(payment_id))


@extend_schema_view(post=_transition_schema(transitions.RELEASE))
class PaymentReleaseApi(PaymentTransitionApi):
    transition = transitions.RELEASE
    required_perms = {"POST": [transition.permission]}


@extend_schema_view(post=_transition_schema(transitions.REJECT))
class PaymentRejectApi(PaymentTransitionApi):
    transition = transitions.REJECT
    required_perms = {"POST": [transition.permission]}


@extend_schema_view(post=_transition_schema(transitions.RETURN))
class PaymentReturnApi(PaymentTransitionApi):
    transition = transitions.RETURN
    required_perms = {"POST": [transition.permission]}


#: The view of each staff transition, by name (``api/urls.py`` routes them by the table's slugs).
TRANSITION_VIEWS: dict[str, type[PaymentTransitionApi]] = {
    view.transition.name: view for view in (PaymentReleaseApi, PaymentRejectApi, PaymentReturnApi)}


# --- FX -----------------------------------------------------------------------------------


class FxRateListCreateApi(PaymentsApi):
    required_perms = {"GET": [VIEW_RATE], "POST": [ADD_RATE]}

    @extend_schema(operation_id="fx_rates_list", tags=[FX], summary="Rates in force, one per pair",
                   responses={200: s.FxRateOutputSerializer(many=True), **problem_responses(401, 403)})
    def get(self, request):
        rows = FxRate.objects.order_by("base_id", "quote_id", "-valid_from").distinct("base_id", "quote_id") \
            if _postgres() else _latest_per_pair()
        return Response(s.FxRateOutputSerializer(rows, many=True).data)

    @extend_schema(operation_id="fx_rates_create", tags=[FX], summary="Publish a mid rate for a pair",
                   request=s.FxRateInputSerializer,
                   responses={201: s.FxRateOutputSerializer, **problem_responses(400, 401, 403), **UNPROCESSABLE})
    def post(self, request):
        serializer = s.FxRateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.fx_rate_set(actor=request.user, **serializer.validated_data)
        return Response(s.FxRateOutputSerializer(row).data, status=201)


def _postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def _latest_per_pair() -> list[FxRate]:
    latest: dict[tuple[str, str], FxRate] = {}
    for row in FxRate.objects.order_by("base_id", "quote_id", "-valid_from"):
        latest.setdefault((row.base_id, row.quote_id), row)
    return list(latest.values())


class FxQuoteCreateApi(PaymentsApi):
    required_perms = {"POST": [INITIATE]}

    @extend_schema(operation_id="fx_quotes_create", tags=[FX], summary="Get a firm quote for a conversion",
                   description="Valid for PAYMENTS_FX_QUOTE_TTL seconds (30 by default) and usable once: pass its "
                   "id as `quote_id` of an `fx_conversion` payment.",
                   request=s.FxQuoteInputSerializer,
                   responses={201: s.FxQuoteOutputSerializer, **problem_responses(400, 401, 403), **UNPROCESSABLE})
    def post(self, request):
        serializer = s.FxQuoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = services.fx_quote_create(actor=request.user, **serializer.validated_data)
        return Response(s.FxQuoteOutputSerializer(quote).data, status=201)
