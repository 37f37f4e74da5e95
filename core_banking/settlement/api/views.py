"""Settlement over REST, read-only: the batches (newest cut-off first), one batch with its items,
files and history, and any stored file's bytes.

Authorisation: settlement is bank-internal. Token clients need the ``settlement`` scope and a
bank-channel client (a partner's token is refused, ``BankInternal``); then ``settlement.view_batch``
(batches) or ``settlement.view_settlementfile`` (files), see ``core_banking/settlement/roles.py``.
Cancelling a batch, importing answers and resolving suspense items are done in the admin, through
the services and their maker-checker approvals.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import BankInternal, HasScope, RequiresPermissions
from core_banking.common.api.schema import path_id, problem_responses
from core_banking.settlement import exceptions as exc
from core_banking.settlement.models import Batch, BatchItem, SettlementFile
from core_banking.settlement.roles import VIEW

from . import serializers as s

TAG = "Settlement"
VIEW_FILE = "settlement.view_settlementfile"


class SettlementApi(APIView):
    required_scopes = ["settlement"]
    permission_classes = [IsAuthenticated, HasScope, BankInternal, RequiresPermissions]
    bank_internal_message = "Settlement is bank-internal: a partner's API token may not call it."
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class BatchCursor(DefaultCursorPagination):
    ordering = ("-cutoff_at", "-id")


class BatchListApi(SettlementApi):
    required_perms = {"GET": [VIEW]}
    pagination_class = BatchCursor

    @extend_schema(operation_id="settlement_batches_list", tags=[TAG], summary="Settlement batches",
                   description="Newest cut-off first. `open` batches collect outgoing payments until their cut-off; "
                   "`closed` ones have their pain.001 written; `sent` ones wait for the scheme's answers; "
                   "`completed` ones have them all; `cancelled` ones were stopped before sending.",
                   parameters=[s.BatchFilterSerializer],
                   responses={200: s.BatchSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        f = query_params(s.BatchFilterSerializer, request)
        batches = Batch.objects.select_related("currency")
        if f.get("status"):
            batches = batches.filter(status=f["status"])
        if f.get("currency"):
            batches = batches.filter(currency_id=f["currency"])
        return paginated_response(serializer_class=s.BatchSerializer, queryset=batches, request=request, view=self)


class BatchDetailApi(SettlementApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="settlement_batches_read", tags=[TAG], summary="A settlement batch",
                   description="With its items (each payment's instruction and the scheme's answer), its files "
                   "(download each with `GET /api/v1/settlement/files/{file_id}/`) and its status history.",
                   parameters=[path_id("batch_id")],
                   responses={200: s.BatchDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, batch_id: int):
        batch = (Batch.objects.select_related("currency")
                 .prefetch_related(Prefetch("items", BatchItem.objects.select_related("currency")), "history",
                                   Prefetch("files", SettlementFile.objects.defer("content")))
                 .filter(pk=batch_id).first())
        if batch is None:
            raise exc.BatchNotFound(f"settlement batch {batch_id} does not exist")
        return Response(s.BatchDetailSerializer(batch).data)


class FileDownloadApi(SettlementApi):
    required_perms = {"GET": [VIEW_FILE]}

    @extend_schema(operation_id="settlement_files_download", tags=[TAG], summary="Download a settlement file",
                   description="The file's bytes as stored (a pain.001 the bank wrote, or a pain.002 / camt.054 it "
                   "received), as an XML attachment.",
                   parameters=[path_id("file_id")],
                   responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
                              **problem_responses(401, 403, 404)})
    def get(self, request, file_id: int):
        settlement_file = SettlementFile.objects.filter(pk=file_id).first()
        if settlement_file is None:
            raise exc.SettlementFileNotFound(f"settlement file {file_id} does not exist")
        response = HttpResponse(bytes(settlement_file.content), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{settlement_file.name}"'
        response["Cache-Control"] = "private, no-store"
        return response
