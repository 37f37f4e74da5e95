"""KYC review over REST (scope ``kyc``).

Reading needs ``kyc.view_kycapplication``; opening an application ``kyc.add_kycapplication``;
uploading ``kyc.add_kycdocument``; downloading ``kyc.view_kycdocument`` at the door and then the
application's own rule (assignee, compliance officer or an assigner: ``not_assignee`` otherwise).
The review actions need ``kyc.review_kycapplication`` or ``kyc.supervise_kycapplication``; the
service then decides on the application itself. Refusals are ``application/problem+json``:
``not_assignee``, ``transition_not_allowed``, ``reason_required``, ``compliance_officer_required``,
``same_approver``, ``kyc_checks_failed``, ``kyc_screening_unresolved``, ``kyc_screening_match``,
``kyc_application_open``, ``kyc_application_closed``,
``unsupported_document_type``, ``document_too_large``, ``invalid_document``, ``invalid_assignee``,
``kyc_application_not_found``, ``kyc_document_not_found``, ``permission_denied``.
"""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.kyc import selectors, services, transitions
from backoffice.kyc.models import ADD, ADD_DOCUMENT, DOCUMENT_CONTENT_TYPES, REVIEW, VIEW, VIEW_DOCUMENT
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.customers import selectors as customer_selectors

from . import serializers as s

KYC = "KYC"
REFUSED = {
    (403, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="`permission_denied` (role or scope), `not_assignee` (not your case), "
        "`compliance_officer_required`, `same_approver`."),
}



def application_detail(application_id: int, user) -> dict:
    application = selectors.application_get(application_id)
    data = s.KycApplicationSerializer(application).data
    data.update({
        "risk_factors": application.risk_factors,
        "documents": s.KycDocumentSerializer(selectors.documents_for(application, user), many=True).data,
        "checks": s.KycCheckSerializer(selectors.latest_checks(application), many=True).data,
        "history": s.KycHistorySerializer(application.history.select_related("actor").order_by("id"),
                                          many=True).data,
        "available_transitions": selectors.available_transitions(application, user),
    })
    return data


def _application_visible(application_id, *, visible_to):
    selectors.application_get(application_id, visible_to=visible_to)


class KycApi(ScopedObjectsMixin, APIView):
    # An application in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"application_id": _application_visible}
    required_scopes = ["kyc"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class KycCursor(DefaultCursorPagination):
    ordering = ("-id",)


class KycListCreateApi(KycApi):
    required_perms = {"GET": [VIEW], "POST": [VIEW, ADD]}
    pagination_class = KycCursor

    @extend_schema(operation_id="kyc_applications_list", tags=[KYC], summary="Find KYC applications",
                   description="Newest first; filter by status, kind, risk rating, customer, assignee, unassigned.",
                   parameters=[s.KycFilterSerializer],
                   responses={200: s.KycApplicationSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        serializer = s.KycFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        f = serializer.validated_data
        applications = selectors.application_search(
            status=f.get("status", ""), kind=f.get("kind", ""), risk_rating=f.get("risk_rating", ""),
            customer_id=f.get("customer"), assignee_id=f.get("assignee"), unassigned=f.get("unassigned"),
            visible_to=client_scope(request.user))
        return paginated_response(serializer_class=s.KycApplicationSerializer, queryset=applications,
                                  request=request, view=self)

    @extend_schema(operation_id="kyc_applications_create", tags=[KYC], summary="Open a draft KYC application",
                   description="One open application per customer (`kyc_application_open`).",
                   request=s.KycCreateSerializer,
                   responses={201: s.KycApplicationDetailSerializer, **problem_responses(400, 401, 403, 409),
                              (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                                  ProblemSerializer, description="`customer_not_found`: no such customer, or one "
                                  "this client does not see.")})
    def post(self, request):
        serializer = s.KycCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_selectors.customer_get(customer_id=serializer.validated_data["customer"],
                                        visible_to=client_scope(request.user))
        application = services.application_create(customer_id=serializer.validated_data["customer"],
                                                  product_kind=serializer.validated_data["product_kind"],
                                                  actor=request.user)
        return Response(application_detail(application.pk, request.user), status=201)


class KycDetailApi(KycApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="kyc_applications_retrieve", tags=[KYC],
                   summary="An application with its documents, checks, history and the transitions you may fire",
                   parameters=[path_id("application_id")],
                   responses={200: s.KycApplicationDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, application_id: int):
        return Response(application_detail(application_id, request.user))


class KycDocumentUploadApi(KycApi):
    required_perms = {"POST": [VIEW, ADD_DOCUMENT]}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="kyc_documents_upload", tags=[KYC], summary="Upload a document (multipart)",
                   description="PDF, PNG or JPEG (`unsupported_document_type`), at most 10 MB "
                   "(`document_too_large`); identity documents need their expiry date. Only while the application "
                   "is a draft or information is requested (`kyc_application_closed`).",
                   parameters=[path_id("application_id")],
                   request={"multipart/form-data": s.KycDocumentUploadSerializer},
                   responses={201: s.KycDocumentSerializer, **problem_responses(400, 401, 404, 409), **REFUSED})
    def post(self, request, application_id: int):
        serializer = s.KycDocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = services.document_upload(application_id=application_id, type=data["type"], upload=data["file"],
                                            expiry_date=data["expiry_date"], actor=request.user)
        return Response(s.KycDocumentSerializer(document).data, status=201)


class KycDocumentDownloadApi(KycApi):
    required_perms = {"GET": [VIEW, VIEW_DOCUMENT]}

    @extend_schema(operation_id="kyc_documents_download", tags=[KYC], summary="Download a document",
                   description="Streams the file as an attachment, only to the assignee, compliance officers and "
                   "those who assign applications (`not_assignee` otherwise). Documents have no public URL.",
                   parameters=[path_id("application_id"), path_id("document_id")],
                   responses={**{(200, content_type): OpenApiTypes.BINARY for content_type in DOCUMENT_CONTENT_TYPES},
                              **problem_responses(401, 404), **REFUSED})
    def get(self, request, application_id: int, document_id: int):
        document = selectors.document_for_download(application_id=application_id, document_id=document_id,
                                                   user=request.user)
        response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                                content_type=document.content_type)
        response["Cache-Control"] = "private, no-store"
        return response


class KycAssignApi(KycApi):
    required_perms = {"POST": [VIEW, "kyc.assign_kycapplication"]}

    @extend_schema(operation_id="kyc_applications_assign", tags=[KYC], summary="Assign to a reviewer",
                   parameters=[path_id("application_id")], request=s.KycAssignSerializer,
                   responses={200: s.KycApplicationDetailSerializer, **problem_responses(400, 401, 404, 409),
                              **REFUSED})
    def post(self, request, application_id: int):
        serializer = s.KycAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.application_assign(application_id=application_id, assignee_id=serializer.validated_data["assignee"],
                                    reason=serializer.validated_data["reason"], actor=request.user)
        return Response(application_detail(application_id, request.user))


def _transition_schema(spec: transitions.KycTransition):
    """The schema of a transition's route, from the transition table."""
    return extend_schema(
        operation_id=f"kyc_applications_{spec.name}", tags=[KYC], summary=spec.label,
        description="`transition_not_allowed` from a state that does not allow it; `reason_required` to request "
        "information; a high-risk approval is two-step (the second by a different compliance officer).",
        parameters=[path_id("application_id")],
        request=s.KycRejectSerializer if spec.reason_code else s.KycReasonSerializer,
        responses={200: s.KycApplicationDetailSerializer, **problem_responses(400, 401, 404, 409), **REFUSED},
    )


def _door(spec: transitions.KycTransition) -> dict[str, list[str]]:
    """The permissions asked at the door: what the service will ask (defence in depth): preparing
    needs `add`, deciding `review`."""
    return {"POST": [VIEW, ADD] if spec.prepare else [VIEW, REVIEW]}


# ``POST /kyc/applications/{id}/<slug>/`` of an action of the transition table
# (``backoffice/kyc/transitions.py``): one view class per action, each its own URL; the service
# decides who may fire it. (No docstring: the schema would take it as the description.)
class KycTransitionApi(KycApi):
    required_perms = {"POST": [VIEW]}
    transition: transitions.KycTransition

    def post(self, request, application_id: int):
        spec = self.transition
        serializer_class = s.KycRejectSerializer if spec.reason_code else s.KycReasonSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.application_transition(application_id=application_id, action=spec.name, actor=request.user,
                                        **serializer.validated_data)
        return Response(application_detail(application_id, request.user))


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["submit"]))
class KycSubmitApi(KycTransitionApi):
    transition = transitions.BY_NAME["submit"]
    required_perms = _door(transition)


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["start_review"]))
class KycStartReviewApi(KycTransitionApi):
    transition = transitions.BY_NAME["start_review"]
    required_perms = _door(transition)


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["request_information"]))
class KycRequestInformationApi(KycTransitionApi):
    transition = transitions.BY_NAME["request_information"]
    required_perms = _door(transition)


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["resubmit"]))
class KycResubmitApi(KycTransitionApi):
    transition = transitions.BY_NAME["resubmit"]
    required_perms = _door(transition)


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["approve"]))
class KycApproveApi(KycTransitionApi):
    transition = transitions.BY_NAME["approve"]
    required_perms = _door(transition)


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["reject"]))
class KycRejectApi(KycTransitionApi):
    transition = transitions.BY_NAME["reject"]
    required_perms = _door(transition)


#: The view of each action of the transition table, in its order (``api/urls.py`` routes them).
TRANSITION_VIEWS: dict[str, type[KycTransitionApi]] = {view.transition.name: view for view in (
    KycSubmitApi, KycStartReviewApi, KycRequestInformationApi, KycResubmitApi, KycApproveApi, KycRejectApi)}
