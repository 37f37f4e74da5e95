"""KYC refusals with stable codes (part of the API contract: never rename one)."""

from core_banking.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed


class ApplicationNotFound(NotFound):
    code = "kyc_application_not_found"
    title = "No such KYC application"


class DocumentNotFound(NotFound):
    code = "kyc_document_not_found"
    title = "No such KYC document"


class KycPermissionRefused(PermissionRefused):
    code = "permission_denied"


class NotAssignee(PermissionRefused):
    code = "not_assignee"
    title = "Only the assignee or a compliance officer may act on this application"


class ComplianceOfficerRequired(PermissionRefused):
    code = "compliance_officer_required"
    title = "A compliance officer must give the second approval of a high-risk application"


class SameApprover(PermissionRefused):
    code = "same_approver"
    title = "The second approval must come from someone other than the first approver"


class InvalidApplication(ValidationFailed):
    code = "invalid_kyc_application"
    title = "The KYC application is not valid"


class InvalidAssignee(ValidationFailed):
    code = "invalid_assignee"
    title = "The application cannot be assigned to this user"


class InvalidDocument(ValidationFailed):
    code = "invalid_document"
    title = "The document is not valid"


class UnsupportedDocumentType(ValidationFailed):
    code = "unsupported_document_type"
    title = "Only PDF, PNG and JPEG files are accepted"


class DocumentTooLarge(ValidationFailed):
    code = "document_too_large"
    title = "The document is larger than allowed"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    title = "This action needs a reason"


class InvalidReasonCode(ValidationFailed):
    code = "invalid_reason_code"
    title = "Unknown rejection reason code"


class ApplicationAlreadyOpen(Conflict):
    code = "kyc_application_open"
    title = "The customer already has an open KYC application"


class ApplicationClosed(Conflict):
    code = "kyc_application_closed"
    title = "The application does not take documents in its current state"


class ChecksFailed(Conflict):
    code = "kyc_checks_failed"
    title = "Automatic checks failed; request information or reject"


class ScreeningUnresolved(Conflict):
    code = "kyc_screening_unresolved"
    title = "A screening hit awaits a compliance reviewer's decision"


class ScreeningMatch(Conflict):
    code = "kyc_screening_match"
    title = "Screening found a sanctions or PEP match; reject the application"


class UnknownAction(NotFound):
    code = "unknown_kyc_action"
    title = "No such KYC action"
