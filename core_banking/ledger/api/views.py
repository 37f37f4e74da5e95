"""The ledger over REST: journal entries, ledger accounts, holds and the trial balance.

One API class per URL. Each validates its input, calls one service (writes) or selector
(reads), and serializes the result; the services own transactions, locks, idempotency and the
audit trail, and their refusals (``core_banking.ledger.exceptions``) are rendered as
``application/problem+json`` by the project's exception handler.

Authorisation: every view needs the ``ledger`` scope for token clients (``HasScope``) and the
Django permissions in ``required_perms`` (``RequiresPermissions``), given by the role groups.

Maker-checker: a manual adjustment (an entry of kind ``adjustment``) and a reversal pass the
gate in the ledger's services (``core_banking/common/maker_checker.py``): with the back office
plugged in they are rehearsed (every refusal of the direct route, nothing written) and answered
``202 Accepted`` with the approval request they created, whoever calls (API token or staff
session). Transfers post directly. An entry that belongs to a payment is never reversed here
(409 ``payment_entry``): the payment's return undoes it.
"""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.common.api.idempotency import REPLAYED_PARAMETER, created_or_replayed, idempotency_key, key_parameter
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.params import query_params
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE, validation_failed
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.errors import ValidationFailed
from core_banking.common.maker_checker import Deferred, PendingApprovalSerializer, deferred_response
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.ledger import selectors, services

from . import serializers as s
from .bulk import MAX_BODY_BYTES as BULK_MAX_BODY_BYTES
from .bulk import BulkJSONParser, validated_bulk

POST_ENTRY = "ledger.post_entry"
VIEW_ENTRY = "ledger.view_journalentry"
VIEW_ACCOUNT = "ledger.view_ledgeraccount"
ADD_ACCOUNT = "ledger.add_ledgeraccount"
VIEW_TRIAL_BALANCE = "ledger.view_trial_balance"
STATEMENT_MAX_LINES = 10_000

ENTRIES, ACCOUNTS, HOLDS, REPORTS = "Ledger: entries", "Ledger: accounts", "Ledger: holds", "Ledger: reports"

UNPROCESSABLE = {
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description="Refused by the ledger: `unbalanced_entry`, `insufficient_funds`, `invalid_entry`, "
        "`account_not_postable`.",
    )
}



def _entry_visible(entry_id, *, visible_to):
    selectors.journal_entry_get(entry_id=entry_id, visible_to=visible_to)


def _account_visible(account_id, *, visible_to):
    selectors.ledger_account_get(account_id=account_id, visible_to=visible_to)


def _hold_visible(hold_id, *, visible_to):
    selectors.hold_get(hold_id=hold_id, visible_to=visible_to)


class LedgerApi(ScopedObjectsMixin, APIView):
    # Base of the ledger views: the `ledger` scope, then the per-method `required_perms`; an id in
    # the URL names an object the caller may see (client isolation), else 404.
    scoped_lookups = {"entry_id": _entry_visible, "account_id": _account_visible, "hold_id": _hold_visible}
    required_scopes = ["ledger"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]



DEFERRED = {202: OpenApiResponse(PendingApprovalSerializer, description="A manual adjustment or "
                                 "reversal is not executed but creates an approval request (this body, `Location` "
                                 "header) once the direct route's checks pass; it executes when a checker approves it "
                                 "(`/api/v1/approvals/`). Also `initiation_forbidden`, `duplicate_pending_request`, "
                                 "`invalid_approval_payload` (an adjustment needs a description).")}


def _entry_body(entry_id: int) -> dict:
    return s.EntryOutputSerializer(selectors.journal_entry_get(entry_id=entry_id)).data


# --- journal entries -----------------------------------------------------------------------


class EntryListCreateApi(LedgerApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    required_perms = {"GET": [VIEW_ENTRY], "POST": [POST_ENTRY]}
    pagination_class = DefaultCursorPagination

    @extend_schema(
        operation_id="ledger_entries_list",
        tags=[ENTRIES],
        summary="List journal entries",
        description="Newest first, with their postings; cursor pagination.",
        parameters=[s.EntryFilterSerializer],
        responses={200: s.EntryOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = query_params(s.EntryFilterSerializer, request)
        entries = selectors.journal_entry_list(
            account_id=filters.get("account"),
            external_ref=filters.get("external_ref"),
            kind=filters.get("kind"),
            business_date_from=filters.get("date_from"),
            business_date_to=filters.get("date_to"),
            created_from=filters.get("created_from"),
            created_to=filters.get("created_to"),
            visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.EntryOutputSerializer, queryset=entries,
                                  request=request, view=self)

    @extend_schema(
        operation_id="ledger_entries_create",
        tags=[ENTRIES],
        summary="Post a journal entry",
        description="Postings are signed (a debit positive, a credit negative) and, per currency, sum to zero. "
        "Amounts are JSON strings; a JSON number is refused. An `adjustment` creates an approval "
        "request (202) instead of posting, unless its policy exempts the amount.",
        parameters=[key_parameter(), REPLAYED_PARAMETER],
        request=s.EntryInputSerializer,
        responses={
            201: s.EntryOutputSerializer,
            200: OpenApiResponse(s.EntryOutputSerializer, description="A replay of an earlier request."),
            **DEFERRED,
            **problem_responses(400, 401, 403, 404, 409),
            **UNPROCESSABLE,
        },
    )
    def post(self, request):
        key = idempotency_key(request)
        serializer = s.EntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        selectors.ledger_accounts_check_visible([p["account_id"] for p in serializer.validated_data["postings"]],
                                                visible_to=client_scope(request.user))
        result = services.entry_post(**serializer.validated_data, idempotency_key=key, actor=request.user)
        if isinstance(result, Deferred):
            return deferred_response(result)
        return created_or_replayed(_entry_body(result.entry.pk), replayed=result.replayed)


class EntryBulkCreateApi(LedgerApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    required_perms = {"POST": [POST_ENTRY]}
    parser_classes = [BulkJSONParser]
    max_body_bytes = BULK_MAX_BODY_BYTES  # the front door lets the bulk parser read and check it

    @extend_schema(
        operation_id="ledger_entries_bulk_create",
        tags=[ENTRIES],
        summary="Post many journal entries in one transaction",
        description="All entries are written or none. Entry `i` is keyed `<Idempotency-Key>#<i>` unless it "
        "names its own `idempotency_key`. A refusal names the entry in `entry_index` when it can.",
        parameters=[
            key_parameter(f"Client-chosen key for the batch (printable ASCII; with `#<index>` appended "
                          f"it must fit in 128 characters). Up to {s.MAX_BULK_ENTRIES} entries."),
            REPLAYED_PARAMETER,
        ],
        request=s.BulkInputSerializer,
        responses={
            201: s.BulkEntryOutputSerializer(many=True),
            200: OpenApiResponse(s.BulkEntryOutputSerializer(many=True), description="A replay."),
            **problem_responses(400, 401, 403, 404, 409, 413),
            **UNPROCESSABLE,
        },
    )
    def post(self, request):
        key = idempotency_key(request)
        entries = validated_bulk(request.data)
        if entries is None:  # not plainly well-formed: the serializer decides, and explains
            serializer = s.BulkInputSerializer(data=request.data)
            if not serializer.is_valid():
                raise _bulk_validation_error(serializer.errors)
            entries = serializer.validated_data["entries"]
        selectors.ledger_accounts_check_visible([p["account_id"] for entry in entries for p in entry["postings"]],
                                                visible_to=client_scope(request.user))
        if any("idempotency_key" not in entry for entry in entries):
            # Item keys are "<key>#<index>": the suffix must fit in the 128 characters too.
            idempotency_key(request, max_length=128 - len(f"#{len(entries) - 1}"))
        results = services.entries_post_bulk(entries=entries, idempotency_key=key, actor=request.user)
        # Plain ids and references: BulkEntryOutputSerializer documents them, 10,000 times over.
        # (a replay has the same references as this request: its payload hash matched)
        body = [{"id": r.entry_id, "external_ref": entry.get("external_ref", "")}
                for r, entry in zip(results, entries, strict=True)]
        return created_or_replayed(body, replayed=all(r.replayed for r in results))


def _bulk_validation_error(errors) -> ValidationFailed:
    """Validation errors of a batch, with the first failing entry's index in `entry_index`."""
    by_index = errors.get("entries")
    if isinstance(by_index, dict) and by_index and all(str(k).isascii() and str(k).isdigit() for k in by_index):
        first = min(int(k) for k in by_index)
        others = f" ({len(by_index)} entries are not valid)" if len(by_index) > 1 else ""
        return validation_failed(errors, f"Entry {first} is not valid{others}.", entry_index=first)
    return validation_failed(errors)


class EntryDetailApi(LedgerApi):
    required_perms = {"GET": [VIEW_ENTRY]}

    @extend_schema(
        operation_id="ledger_entries_retrieve",
        tags=[ENTRIES],
        parameters=[path_id("entry_id")],
        responses={200: s.EntryOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, entry_id: int):
        selectors.journal_entry_get(entry_id=entry_id, visible_to=client_scope(request.user))
        return Response(_entry_body(entry_id))


class EntryReverseApi(LedgerApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    required_perms = {"POST": [POST_ENTRY]}

    @extend_schema(
        operation_id="ledger_entries_reverse",
        tags=[ENTRIES],
        summary="Reverse a journal entry",
        description="Posts the compensating entry (every posting negated), linked to the original. An entry "
        "is reversed at most once (409 `already_reversed`); an entry of a payment is undone by the payment's "
        "return, never here (409 `payment_entry`). A reversal creates an approval request (202) instead of "
        "posting, after the same checks.",
        parameters=[path_id("entry_id"), key_parameter(), REPLAYED_PARAMETER],
        request=s.ReverseInputSerializer,
        responses={
            201: s.EntryOutputSerializer,
            200: OpenApiResponse(s.EntryOutputSerializer, description="A replay of an earlier request."),
            **DEFERRED,
            **problem_responses(400, 401, 403, 404, 409),
            **UNPROCESSABLE,
        },
    )
    def post(self, request, entry_id: int):
        key = idempotency_key(request)
        serializer = s.ReverseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.entry_reverse(entry_id=entry_id, idempotency_key=key, actor=request.user,
                                        reason=serializer.validated_data["reason"])
        if isinstance(result, Deferred):
            return deferred_response(result)
        return created_or_replayed(_entry_body(result.entry.pk), replayed=result.replayed)


# --- ledger accounts -----------------------------------------------------------------------


class AccountCursorPagination(DefaultCursorPagination):
    ordering = "code"  # the chart of accounts reads in code order; codes are unique


class AccountListCreateApi(LedgerApi):
    required_perms = {"GET": [VIEW_ACCOUNT], "POST": [ADD_ACCOUNT]}
    pagination_class = AccountCursorPagination

    @extend_schema(
        operation_id="ledger_accounts_list",
        tags=[ACCOUNTS],
        parameters=[s.AccountFilterSerializer],
        responses={200: s.AccountOutputSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = query_params(s.AccountFilterSerializer, request)
        accounts = selectors.ledger_account_list(
            code_prefix=filters.get("code"),
            type=filters.get("type"),
            currency=filters.get("currency"),
            is_synthetic=filters.get("is_synthetic"),
            parent_id=filters.get("parent"),
            visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.AccountOutputSerializer, queryset=accounts,
                                  request=request, view=self)

    @extend_schema(
        operation_id="ledger_accounts_create",
        tags=[ACCOUNTS],
        summary="Open a ledger account",
        request=s.AccountCreateInputSerializer,
        responses={201: s.AccountOutputSerializer, **problem_responses(400, 401, 403), **UNPROCESSABLE},
    )
    def post(self, request):
        serializer = s.AccountCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if selectors.ledger_account_code_taken(code=serializer.validated_data["code"]):
            raise ValidationFailed(errors={"code": ["A ledger account with this code already exists."]})
        account = services.ledger_account_create(**serializer.validated_data, created_by=request.user)
        account = selectors.ledger_account_get(account_id=account.pk)
        return Response(s.AccountOutputSerializer(account).data, status=201)


class AccountDetailApi(LedgerApi):
    required_perms = {"GET": [VIEW_ACCOUNT]}

    @extend_schema(
        operation_id="ledger_accounts_retrieve",
        tags=[ACCOUNTS],
        parameters=[path_id("account_id")],
        responses={200: s.AccountOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, account_id: int):
        account = selectors.ledger_account_get(account_id=account_id, visible_to=client_scope(request.user))
        return Response(s.AccountOutputSerializer(account).data)


class AccountBalanceApi(LedgerApi):
    required_perms = {"GET": [VIEW_ACCOUNT]}

    @extend_schema(
        operation_id="ledger_accounts_balance",
        tags=[ACCOUNTS],
        summary="Current or point-in-time balance",
        description="Without parameters: the current posted, held and available balance. With `as_of` (an "
        "instant) or `business_date` (its close): the posted balance then; holds are not kept "
        "historically, so `held`, `pending_in` and `available` are null.",
        parameters=[path_id("account_id"), s.BalanceQuerySerializer],
        responses={200: s.BalanceOutputSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def get(self, request, account_id: int):
        query = query_params(s.BalanceQuerySerializer, request)
        if query:
            balance = selectors.balance_as_of(account_id=account_id, at=query.get("as_of"),
                                              business_date=query.get("business_date"),
                                              visible_to=client_scope(request.user))
            balance = {"account_id": balance.account_id, "currency": balance.currency, "posted": balance.posted,
                       "held": None, "pending_in": None, "available": None, "as_of": balance.as_of}
        else:
            balance = selectors.account_balance(account_id=account_id, visible_to=client_scope(request.user))
        return Response(s.BalanceOutputSerializer(balance).data)


class AccountStatementApi(LedgerApi):
    required_perms = {"GET": [VIEW_ACCOUNT, VIEW_ENTRY]}

    @extend_schema(
        operation_id="ledger_accounts_statement",
        tags=[ACCOUNTS],
        summary="Statement by business date with a running balance",
        parameters=[path_id("account_id"), s.StatementQuerySerializer],
        responses={200: s.StatementOutputSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def get(self, request, account_id: int):
        query = query_params(s.StatementQuerySerializer, request)
        statement = selectors.account_statement(account_id=account_id, date_from=query["date_from"],
                                                date_to=query["date_to"], limit=STATEMENT_MAX_LINES,
                                                visible_to=client_scope(request.user))
        return Response(s.StatementOutputSerializer(asdict(statement)).data)


# --- holds ---------------------------------------------------------------------------------


class HoldCreateApi(LedgerApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    required_perms = {"POST": [POST_ENTRY]}

    @extend_schema(
        operation_id="ledger_holds_create",
        tags=[HOLDS],
        summary="Reserve funds for a later transfer (authorization hold)",
        parameters=[key_parameter(), REPLAYED_PARAMETER],
        request=s.HoldCreateInputSerializer,
        responses={
            201: s.HoldOutputSerializer,
            200: OpenApiResponse(s.HoldOutputSerializer, description="A replay of an earlier request."),
            **problem_responses(400, 401, 403, 404, 409),
            **UNPROCESSABLE,
        },
    )
    def post(self, request):
        key = idempotency_key(request)
        serializer = s.HoldCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Funds are reserved on, and promised to, accounts the caller may see (client isolation).
        selectors.ledger_accounts_check_visible(
            [serializer.validated_data["debit_account_id"], serializer.validated_data["credit_account_id"]],
            visible_to=client_scope(request.user))
        hold, replayed = services.hold_create(**serializer.validated_data, idempotency_key=key, actor=request.user)
        return created_or_replayed(s.HoldOutputSerializer(selectors.hold_get(hold_id=hold.pk)).data,
                                   replayed=replayed)


class HoldDetailApi(LedgerApi):
    required_perms = {"GET": [VIEW_ENTRY]}

    @extend_schema(
        operation_id="ledger_holds_retrieve",
        tags=[HOLDS],
        parameters=[path_id("hold_id")],
        responses={200: s.HoldOutputSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request, hold_id: int):
        hold = selectors.hold_get(hold_id=hold_id, visible_to=client_scope(request.user))
        return Response(s.HoldOutputSerializer(hold).data)


class HoldPostApi(LedgerApi):
    moves_money = True  # its own throttle rate (core_banking/common/api/throttling.py)
    required_perms = {"POST": [POST_ENTRY]}

    @extend_schema(
        operation_id="ledger_holds_post",
        tags=[HOLDS],
        summary="Post a pending hold, in full or for less",
        description="Writes the journal entry (its id is the hold's `entry_id`) and releases the reservation.",
        parameters=[path_id("hold_id"), key_parameter(), REPLAYED_PARAMETER],
        request=s.HoldPostInputSerializer,
        responses={200: s.HoldOutputSerializer, **problem_responses(400, 401, 403, 404, 409), **UNPROCESSABLE},
    )
    def post(self, request, hold_id: int):
        key = idempotency_key(request)
        serializer = s.HoldPostInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.hold_post(hold_id=hold_id, idempotency_key=key, actor=request.user,
                                    amount=serializer.validated_data["amount"])
        return created_or_replayed(s.HoldOutputSerializer(selectors.hold_get(hold_id=hold_id)).data,
                                   replayed=result.replayed, created_status=200)


class HoldVoidApi(LedgerApi):
    required_perms = {"POST": [POST_ENTRY]}

    @extend_schema(
        operation_id="ledger_holds_void",
        tags=[HOLDS],
        summary="Void a pending hold",
        description="Releases the reservation. Voiding a voided hold again is a no-op.",
        parameters=[path_id("hold_id")],
        request=s.HoldVoidInputSerializer,
        responses={200: s.HoldOutputSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, hold_id: int):
        serializer = s.HoldVoidInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.hold_void(hold_id=hold_id, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(s.HoldOutputSerializer(selectors.hold_get(hold_id=hold_id)).data)


# --- reports -------------------------------------------------------------------------------


class TrialBalanceApi(LedgerApi):
    required_perms = {"GET": [VIEW_TRIAL_BALANCE]}

    @extend_schema(
        operation_id="ledger_trial_balance",
        tags=[REPORTS],
        summary="Trial balance",
        description="Per account with a non-zero balance, the balance in the debit or the credit column; "
        "per currency, the totals (which are equal when the ledger balances).",
        parameters=[s.TrialBalanceQuerySerializer],
        responses={200: s.TrialBalanceOutputSerializer, **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        query = query_params(s.TrialBalanceQuerySerializer, request)
        report = selectors.trial_balance(as_of=query.get("as_of"), currency=query.get("currency"))
        data = {
            "as_of": report.as_of,
            "balanced": report.balanced,
            "rows": [asdict(row) for row in report.rows],
            "totals": [
                {"currency": currency, "debit": debit, "credit": credit, "balanced": debit == credit}
                for currency, (debit, credit) in report.totals.items()
            ],
        }
        return Response(s.TrialBalanceOutputSerializer(data).data)

