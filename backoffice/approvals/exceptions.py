"""Approval refusals with stable codes (part of the API contract: never rename one)."""

from core_banking.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed


class ApprovalRequestNotFound(NotFound):
    code = "approval_request_not_found"
    title = "No such approval request"


class UnknownActionType(ValidationFailed):
    code = "unknown_action_type"
    title = "No such action type"


class InvalidApprovalPayload(ValidationFailed):
    code = "invalid_approval_payload"
    title = "The action's payload is not valid"


class UnknownPayloadField(InvalidApprovalPayload):
    """A key the action's payload does not have (named in ``field``: ``payload.<key>``)."""

    code = "unknown_field"
    title = "The request has a field this endpoint does not accept"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    title = "This action needs a reason"


class InitiationForbidden(PermissionRefused):
    code = "initiation_forbidden"
    title = "Your role may not initiate this action"


class CheckerRoleRequired(PermissionRefused):
    code = "checker_role_required"
    title = "Your role may not approve or reject this action"


class SelfApprovalForbidden(PermissionRefused):
    code = "self_approval_forbidden"
    title = "The maker of a request cannot approve or reject it"


class NotMaker(PermissionRefused):
    code = "not_maker"
    title = "Only the maker of a request may cancel it"


class ApprovalPermissionRefused(PermissionRefused):
    """The caller lacks the role permission (``permission_denied``, like the API's door check)."""


class DuplicatePendingRequest(Conflict):
    code = "duplicate_pending_request"
    title = "The same action is already waiting for approval"


class AlreadyDecided(Conflict):
    code = "already_decided"
    title = "You have already decided on this request"


class RequestExpired(Conflict):
    code = "request_expired"
    title = "The request has expired"


class NothingToRetry(Conflict):
    code = "nothing_to_retry"
    title = "Only an approved request whose execution failed can be retried"
