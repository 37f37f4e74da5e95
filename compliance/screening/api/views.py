"""Sanctions and PEP screening over REST: the watch lists and their versions, uploading a list
file (a new active version), screening a name ad hoc, and the hits (list, detail, decision).

One API class per URL; each validates, calls one service or selector and serializes. Refusals are
``application/problem+json`` with stable codes: ``watchlist_not_found``, ``watchlist_file_duplicate``
(409), ``watchlist_file_invalid``, ``screening_hit_not_found``, ``screening_hit_decided`` (409),
``reason_required``, ``validation_error``, ``permission_denied``.

Authorisation: bank-internal (a partner's token is refused whatever its role), the ``compliance``
scope for token clients, then the permissions of ``compliance/screening/roles.py``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.kyc import screening as kyc
from compliance.screening import exceptions as exc
from compliance.screening import matching, services
from compliance.screening.models import ListVersion, ScreeningHit, WatchList
from compliance.screening.roles import DECIDE, LOAD, SCREEN, VIEW_HIT, VIEW_LIST, VIEW_VERSION
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import BankInternal, HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses

from . import serializers as s

LISTS, HITS = "Screening lists", "Screening hits"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024



class ScreeningApi(APIView):
    required_scopes = ["compliance"]
    permission_classes = [IsAuthenticated, HasScope, BankInternal, RequiresPermissions]
    bank_internal_message = "Screening is bank-internal: a partner's API token may not call it."
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


def _code_param() -> OpenApiParameter:
    return OpenApiParameter("code", str, OpenApiParameter.PATH, description="The watch list's code.")


class WatchListListApi(ScreeningApi):
    required_perms = {"GET": [VIEW_LIST]}

    @extend_schema(operation_id="screening_lists_list", tags=[LISTS], summary="Watch lists",
                   responses={200: s.WatchListSerializer(many=True), **problem_responses(401, 403)})
    def get(self, request):
        lists = WatchList.objects.prefetch_related("versions").order_by("code")
        return Response(s.WatchListSerializer(lists, many=True).data)


class ListVersionListUploadApi(ScreeningApi):
    required_perms = {"GET": [VIEW_VERSION], "POST": [LOAD]}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="screening_list_versions", tags=[LISTS], summary="A watch list's loaded versions",
                   description="Newest first; the active one has `is_active`. Old versions are kept: past hits "
                   "point at their entries.", parameters=[_code_param()],
                   responses={200: s.ListVersionSerializer(many=True), **problem_responses(401, 403, 404)})
    def get(self, request, code: str):
        wl = services.watchlist_get(code)
        versions = ListVersion.objects.filter(list=wl).select_related("list", "loaded_by")
        return Response(s.ListVersionSerializer(versions, many=True).data)

    @extend_schema(
        operation_id="screening_list_upload", tags=[LISTS], summary="Load a list file as the new active version",
        description="Multipart: `file` and `format` (`opensanctions-csv`, the default, or `ftm-json`). Bad rows are "
        "reported in `rejected` (line and reason) and the good rows load; the new version replaces the active one "
        "atomically and the customers are rescreened in the background.",
        parameters=[_code_param()], request={"multipart/form-data": s.ListUploadSerializer},
        responses={201: s.ListVersionSerializer, **problem_responses(400, 401, 403, 404),
                   (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                       ProblemSerializer, description="`watchlist_file_duplicate`: this file was already loaded.")})
    def post(self, request, code: str):
        services.watchlist_get(code)
        serializer = s.ListUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise exc.WatchListFileInvalid(f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
        result = services.version_load(list_code=code, content=upload.read(), file_name=upload.name or "upload",
                                       fmt=serializer.validated_data["format"], actor=request.user)
        version = ListVersion.objects.select_related("list", "loaded_by").get(pk=result.version.pk)
        return Response(s.ListVersionSerializer(version).data, status=201)


class ScreenApi(ScreeningApi):
    required_perms = {"POST": [SCREEN]}

    @extend_schema(operation_id="screening_screen", tags=[HITS], summary="Screen a name ad hoc",
                   description="Scores the name (with the date of birth and country as evidence) against the active "
                   "versions of the active lists. Records nothing and raises no alert.",
                   request=s.ScreenInputSerializer,
                   responses={200: s.ScreenOutputSerializer, **problem_responses(400, 401, 403)})
    def post(self, request):
        serializer = s.ScreenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        match_at, possible_at = matching.thresholds()
        floor = possible_at if data["min_score"] is None else data["min_score"]
        candidates = matching.search(data["name"], date_of_birth=data["date_of_birth"], countries=[data["country"]],
                                     floor=floor, limit=data["limit"])
        rows = []
        for c in candidates:
            row = c.as_dict()
            row["outcome"] = kyc.MATCH if c.score >= match_at else kyc.POSSIBLE_MATCH if c.score >= possible_at \
                else kyc.CLEAR
            rows.append(row)
        outcome = kyc.worst(r["outcome"] for r in rows)
        return Response(s.ScreenOutputSerializer({"name": data["name"], "normalised": matching.normalise(data["name"]),
                                                  "outcome": outcome, "candidates": rows}).data)


def _hits():
    return ScreeningHit.objects.select_related("list", "entry", "decided_by")


def _hit(hit_id: int) -> ScreeningHit:
    hit = _hits().filter(pk=hit_id).first()
    if hit is None:
        raise exc.ScreeningHitNotFound(f"no screening hit {hit_id}", hit=hit_id)
    return hit


class HitListApi(ScreeningApi):
    required_perms = {"GET": [VIEW_HIT]}
    pagination_class = DefaultCursorPagination

    @extend_schema(operation_id="screening_hits_list", tags=[HITS], summary="Screening hits",
                   description="Newest first; by status, context, customer or list.",
                   parameters=[s.HitFilterSerializer],
                   responses={200: s.ScreeningHitSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.HitFilterSerializer, request)
        hits = _hits()
        if f.get("status"):
            hits = hits.filter(status=f["status"])
        if f.get("context"):
            hits = hits.filter(context=f["context"])
        if f.get("customer"):
            hits = hits.filter(customer_id=f["customer"])
        if f.get("list"):
            hits = hits.filter(list__code=f["list"])
        return paginated_response(serializer_class=s.ScreeningHitSerializer, queryset=hits, request=request,
                                  view=self)


class HitDetailApi(ScreeningApi):
    required_perms = {"GET": [VIEW_HIT]}

    @extend_schema(operation_id="screening_hits_retrieve", tags=[HITS], summary="A screening hit with its evidence",
                   parameters=[path_id("hit_id")],
                   responses={200: s.ScreeningHitSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, hit_id: int):
        return Response(s.ScreeningHitSerializer(_hit(hit_id)).data)


class HitDecideApi(ScreeningApi):
    required_perms = {"POST": [VIEW_HIT, DECIDE]}

    @extend_schema(operation_id="screening_hits_decide", tags=[HITS], summary="Clear or confirm a hit",
                   description="`cleared`: a false positive; the subject is clear of that entry from then on. "
                   "`confirmed`: the subject is the listed party; screening answers `match`.",
                   parameters=[path_id("hit_id")], request=s.HitDecideSerializer,
                   responses={200: s.ScreeningHitSerializer, **problem_responses(400, 401, 403, 404),
                              (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                                  ProblemSerializer, description="`screening_hit_decided`: already decided.")})
    def post(self, request, hit_id: int):
        serializer = s.HitDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.hit_decide(hit_id=hit_id, status=serializer.validated_data["decision"],
                            note=serializer.validated_data["note"], actor=request.user)
        return Response(s.ScreeningHitSerializer(_hit(hit_id)).data)
