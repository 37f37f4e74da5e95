"""Ticket refusals with stable codes (part of the API contract: never rename one)."""

from core_banking.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    title = "No such ticket"


class TeamNotFound(NotFound):
    code = "team_not_found"
    title = "No such team"


class CategoryNotFound(ValidationFailed):
    code = "category_not_found"
    title = "No such ticket category"


class InvalidTicketLink(ValidationFailed):
    code = "invalid_ticket_link"
    title = "The linked record does not exist or is not the customer's"


class SlaNotConfigured(ValidationFailed):
    code = "sla_not_configured"
    title = "The category has no SLA for this priority"


class InvalidTicket(ValidationFailed):
    code = "invalid_ticket"
    title = "The ticket is not valid"


class InvalidAssignee(ValidationFailed):
    code = "invalid_assignee"
    title = "The ticket cannot be assigned to this user"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    title = "This action needs a reason"


class UnknownTicketAction(ValidationFailed):
    code = "unknown_ticket_action"
    title = "No such ticket action"


class NotAssignee(PermissionRefused):
    code = "not_assignee"
    title = "The ticket is not assigned to you or your team"


class NotTeamMember(PermissionRefused):
    code = "not_team_member"
    title = "You are not a member of this team"


class TicketPermissionRefused(PermissionRefused):
    """The caller lacks the role permission (``permission_denied``, like the API's door check)."""


class TicketInactive(Conflict):
    code = "ticket_inactive"
    title = "The ticket is resolved or closed"
