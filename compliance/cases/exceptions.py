"""Compliance case refusals with stable codes (part of the API contract: never rename one)."""

from core_banking.common.errors import Conflict, NotFound, PermissionRefused, TransitionNotAllowed, ValidationFailed

__all__ = ["TransitionNotAllowed"]


class CaseNotFound(NotFound):
    code = "case_not_found"
    title = "No such compliance case"


class AlertNotFound(NotFound):
    code = "alert_not_found"
    title = "No such compliance alert"


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    title = "No such case attachment"


class ReportNotFound(NotFound):
    code = "report_not_found"
    title = "The case has no suspicious activity report"


class CasePermissionRefused(PermissionRefused):
    """The caller lacks the role permission (``permission_denied``, like the API's door check)."""


class NotAssignee(PermissionRefused):
    code = "not_assignee"
    title = "The case is not assigned to you"


class UnknownCaseAction(ValidationFailed):
    code = "unknown_case_action"
    title = "No such case action"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    title = "This action needs a reason"


class InvalidAssignee(ValidationFailed):
    code = "invalid_assignee"
    title = "The case cannot be assigned to this user"


class InvalidDecision(ValidationFailed):
    code = "invalid_decision"
    title = "The alert decision is not valid"


class InvalidNote(ValidationFailed):
    code = "invalid_note"
    title = "The note is not valid"


class InvalidAttachment(ValidationFailed):
    code = "invalid_attachment"
    title = "The attachment is not valid"


class UnsupportedAttachmentType(ValidationFailed):
    code = "unsupported_attachment_type"
    title = "This kind of file is not accepted"


class AttachmentTooLarge(ValidationFailed):
    code = "attachment_too_large"
    title = "The file is too large"


class AlertsUndecided(Conflict):
    code = "alerts_undecided"
    title = "Every alert of the case must be cleared or confirmed first"


class AlertAlreadyDecided(Conflict):
    code = "alert_already_decided"
    title = "The alert has been decided already"


class CaseClosed(Conflict):
    code = "case_closed"
    title = "The case is closed or reported"


class ReportNotFiled(Conflict):
    code = "report_not_filed"
    title = "A case is reported by filing its suspicious activity report"


class ReportAlreadyFiled(Conflict):
    code = "report_already_filed"
    title = "The case's suspicious activity report has been filed already"
