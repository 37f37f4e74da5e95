"""The maker-checker rules: no self-approval, no duplicate pending, checker-only roles cannot
initiate, expiry, failures recorded; a refused action changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from backoffice.approvals import exceptions as exc
from backoffice.approvals import selectors, services, tasks
from backoffice.approvals.models import ApprovalHistory, ApprovalPolicy, ApprovalRequest
from core_banking.accounts.models import Account
from core_banking.audit.models import AuditEvent
from core_banking.common.errors import TransitionNotAllowed
from core_banking.ledger.models import JournalEntry

from .conftest import freeze_request, snapshot

pytestmark = pytest.mark.django_db
D = Decimal
Status = ApprovalRequest.Status


def test_the_maker_can_never_approve_or_reject_their_own_request(account, people):
    request = freeze_request(account, people.ops)
    before = snapshot()
    with pytest.raises(exc.SelfApprovalForbidden) as error:
        services.request_approve(request_id=request.pk, actor=people.ops)
    assert error.value.code == "self_approval_forbidden"
    with pytest.raises(exc.SelfApprovalForbidden):
        services.request_reject(request_id=request.pk, actor=people.ops, reason="no")
    assert snapshot() == before
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE


def test_the_same_action_cannot_be_pending_twice(account, people):
    first = freeze_request(account, people.ops)
    before = snapshot()
    with pytest.raises(exc.DuplicatePendingRequest) as error:
        freeze_request(account, people.ops2, reason="another reason, same action")
    assert error.value.code == "duplicate_pending_request" and error.value.status == 409
    assert snapshot() == before
    # Another action on the same account is another request; once decided, the action may be asked again.
    services.request_create(action_type="account_close", actor=people.ops,
                            payload={"account_id": account.pk, "reason": "customer left"})
    services.request_cancel(request_id=first.pk, actor=people.ops)
    assert freeze_request(account, people.ops2).status == Status.PENDING


def test_the_database_refuses_a_second_pending_request_for_the_same_target(account, people):
    request = freeze_request(account, people.ops)
    table = ApprovalRequest._meta.db_table
    insert = (f"INSERT INTO {table} (action_type, payload, target_key, summary, currency, reason, maker_id, "  # noqa: S608
              "status, required_approvals, approvals_count, expires_at, execution_error, execution_attempts, "
              "status_reason, created_at, updated_at) VALUES (%s, '{}', %s, '', '', '', %s, %s, 1, 0, now(), '', 0, "
              "'', now(), now())")
    with pytest.raises(IntegrityError, match="approval_one_pending_per_target"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(insert, ["account_freeze", request.target_key, people.ops2.pk, "pending"])
    with connection.cursor() as cursor:  # the same target in another state is fine: the index is partial
        cursor.execute(insert, ["account_freeze", request.target_key, people.ops2.pk, "rejected"])
    assert ApprovalRequest.objects.filter(target_key=request.target_key).count() == 2


def test_history_and_decisions_are_append_only(account, people):
    request = services.request_approve(request_id=freeze_request(account, people.ops).pk, actor=people.officer)
    for table in ("approvals_approvalhistory", "approvals_approvaldecision"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE request_id = %s", [request.pk])  # noqa: S608


def test_a_checker_only_role_cannot_initiate(account, people):
    before = snapshot()
    with pytest.raises(exc.InitiationForbidden) as error:
        freeze_request(account, people.officer)  # compliance officers check freezes, they do not ask for them
    assert error.value.code == "initiation_forbidden" and error.value.status == 403
    with pytest.raises(exc.ApprovalPermissionRefused):
        freeze_request(account, people.agent)  # no approvals permission at all
    assert snapshot() == before


def test_a_checker_needs_a_checker_role_of_the_policy(account, people):
    request = freeze_request(account, people.ops)
    before = snapshot()
    with pytest.raises(exc.CheckerRoleRequired):
        services.request_approve(request_id=request.pk, actor=people.finance)  # finance does not check freezes
    with pytest.raises(exc.ApprovalPermissionRefused):
        services.request_approve(request_id=request.pk, actor=people.reviewer)  # reviewers may not decide
    assert snapshot() == before


def test_one_decision_per_checker(bank, account, people):
    payload = {"postings": [{"account_id": bank.cash["EUR"].pk, "amount": "20000"},
                            {"account_id": account.ledger_account_id, "amount": "-20000"}], "description": "fix"}
    request = services.request_create(action_type="ledger_adjustment", actor=people.finance, payload=payload)
    services.request_approve(request_id=request.pk, actor=people.finance2)
    before = snapshot()
    with pytest.raises(exc.AlreadyDecided):
        services.request_approve(request_id=request.pk, actor=people.finance2)
    assert snapshot() == before


def test_reject_needs_a_reason_and_ends_the_request(account, people):
    request = freeze_request(account, people.ops)
    with pytest.raises(exc.ReasonRequired):
        services.request_reject(request_id=request.pk, actor=people.officer, reason=" ")
    request = services.request_reject(request_id=request.pk, actor=people.officer, reason="no evidence")
    assert request.status == Status.REJECTED
    before = snapshot()
    with pytest.raises(TransitionNotAllowed) as error:
        services.request_approve(request_id=request.pk, actor=people.officer2)
    assert error.value.code == "transition_not_allowed"
    assert snapshot() == before
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE


def test_only_the_maker_cancels(account, people):
    request = freeze_request(account, people.ops)
    with pytest.raises(exc.NotMaker):
        services.request_cancel(request_id=request.pk, actor=people.ops2)
    assert services.request_cancel(request_id=request.pk, actor=people.ops, reason="mistake").status == "cancelled"
    with pytest.raises(TransitionNotAllowed):
        services.request_cancel(request_id=request.pk, actor=people.ops)


def test_requests_expire(account, people):
    policy = services.policy_for("account_freeze")
    assert policy.expiry_hours == 24
    now = timezone.now()
    old = freeze_request(account, people.ops)
    assert old.expires_at - old.created_at == dt.timedelta(hours=24)
    assert services.expire_requests(now=now) == 0

    later = now + dt.timedelta(hours=25)
    before = snapshot()
    with pytest.raises(exc.RequestExpired):
        services.request_approve(request_id=old.pk, actor=people.officer, now=later)
    assert snapshot() == before
    assert old in selectors.inbox_for_user(people.officer)
    assert services.expire_requests(now=later) == 1
    assert services.expire_requests(now=later) == 0  # idempotent
    old.refresh_from_db()
    assert old.status == Status.EXPIRED
    assert ApprovalHistory.objects.filter(request=old, action="expire", to_status="expired").count() == 1
    assert AuditEvent.objects.filter(action="approval.expired", object_id=str(old.pk)).count() == 1
    # The action may be asked again.
    assert freeze_request(account, people.ops).status == Status.PENDING


def test_the_expiry_time_is_configurable_and_the_task_runs_the_service(account, people):
    ApprovalPolicy.objects.filter(pk=services.policy_for("account_freeze").pk).update(expiry_hours=1)
    request = freeze_request(account, people.ops)
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.expire_requests.delay().get() == 1
    request.refresh_from_db()
    assert request.status == Status.EXPIRED


def overdraw(bank, account, amount="5000.00") -> dict:
    return {"postings": [{"account_id": account.ledger_account_id, "amount": amount},
                         {"account_id": bank.cash["EUR"].pk, "amount": f"-{amount}"}],
            "description": "charge back"}


def test_an_execution_failure_is_recorded_not_lost_and_can_be_retried(bank, account, people):
    request = services.request_create(action_type="ledger_adjustment", actor=people.finance,
                                      payload=overdraw(bank, account))
    entries = JournalEntry.objects.count()

    request = services.request_approve(request_id=request.pk, actor=people.finance2)

    request.refresh_from_db()
    assert request.status == Status.APPROVED and request.executed_at is None
    assert request.execution_error.startswith("insufficient_funds")
    assert request.execution_attempts == 1
    assert JournalEntry.objects.count() == entries  # the action rolled back, the approval did not
    assert ApprovalHistory.objects.filter(request=request, action="execution_failed").exists()
    assert AuditEvent.objects.filter(action="approval.execution_failed", object_id=str(request.pk)).exists()

    with pytest.raises(exc.SelfApprovalForbidden):
        services.request_retry(request_id=request.pk, actor=people.finance)
    from tests import banking

    banking.fund(bank, account, "5000.00")
    request = services.request_retry(request_id=request.pk, actor=people.finance3)
    assert request.status == Status.EXECUTED and request.execution_error == ""
    assert request.execution_attempts == 2
    with pytest.raises(exc.NothingToRetry):
        services.request_retry(request_id=request.pk, actor=people.finance3)


def test_an_unexpected_exception_is_recorded_too(monkeypatch, account, people):
    from backoffice.approvals import registry

    def boom(payload, actor, *, request_id):
        raise RuntimeError("the service fell over")

    action = registry.ACTION_TYPES["account_freeze"]
    monkeypatch.setitem(registry.ACTION_TYPES, "account_freeze",
                        registry.ActionType(**{**action.__dict__, "execute": boom}))
    request = services.request_approve(request_id=freeze_request(account, people.ops).pk, actor=people.officer)
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert request.execution_error == "RuntimeError: the service fell over"


def test_invalid_payloads_are_refused(bank, account, people):
    before = snapshot()
    cases = [
        ("account_freeze", {"account_id": 999999, "reason": "x"}),
        ("account_freeze", {"account_id": account.pk}),
        ("ledger_adjustment", {"postings": [{"account_id": bank.cash["EUR"].pk, "amount": "10"},
                                            {"account_id": account.ledger_account_id, "amount": "-9"}],
                               "description": "unbalanced"}),
        ("ledger_adjustment", {"postings": [{"account_id": bank.cash["EUR"].pk, "amount": 10.5},
                                            {"account_id": account.ledger_account_id, "amount": "-10.5"}],
                               "description": "float"}),
        # Amounts are plain decimal strings, as in the API: no exponent, integer or non-ASCII digit.
        *(("ledger_adjustment", {"postings": [{"account_id": bank.cash["EUR"].pk, "amount": amount},
                                              {"account_id": account.ledger_account_id, "amount": "-100"}],
                                 "description": f"amount {amount!r}"})
          for amount in ("1E+2", 100, "+100", " 100", "１００", "100.", "Infinity")),
        ("limit_change", {"operation": "create", "profile_code": "STANDARD", "reason": "x",
                          "fields": {"max_single_amount": "5e3"}}),
        ("account_freeze", {"account_id": account.pk, "reason": "x", "extra": 1}),
    ]
    for action_type, payload in cases:
        with pytest.raises(exc.InvalidApprovalPayload):
            services.request_create(action_type=action_type, payload=payload, actor=people.finance
                                    if action_type == "ledger_adjustment" else people.ops)
    with pytest.raises(exc.UnknownActionType):
        services.request_create(action_type="launch_rockets", payload={}, actor=people.ops)
    assert snapshot() == before


def test_amounts_in_another_currency_need_the_extra_approval(people):
    policy = services.policy_for("ledger_adjustment")
    assert services.required_approvals(policy, D("10000"), "EUR") == 1
    assert services.required_approvals(policy, D("10000.01"), "EUR") == 2
    assert services.required_approvals(policy, D("5"), "USD") == 2
    assert services.required_approvals(policy, None, "") == 1


def test_the_inbox(account, people):
    request = freeze_request(account, people.ops)
    assert list(selectors.inbox_for_user(people.officer)) == [request]
    assert list(selectors.inbox_for_user(people.ops2)) == [request]
    assert list(selectors.inbox_for_user(people.ops)) == []  # the maker
    assert list(selectors.inbox_for_user(people.finance)) == []  # not a checker of freezes
    assert list(selectors.inbox_for_user(people.agent)) == []
    services.request_approve(request_id=request.pk, actor=people.officer)
    assert list(selectors.inbox_for_user(people.ops2)) == []  # no longer pending


def test_an_action_type_declared_twice_stops_start_up():
    from django.core.exceptions import ImproperlyConfigured

    from backoffice.approvals import registry

    with pytest.raises(ImproperlyConfigured, match="limit_change"):
        registry._assemble(["backoffice.limits.approval_actions", "backoffice.limits.approval_actions"])
    assert list(registry._assemble(["backoffice.approvals.actions.payments"])) == ["payment_release"]
