"""Refusals raised by the API-client services; `code` values are part of the public contract."""

from core_banking.common.errors import Conflict, DomainError, ValidationFailed


class UnknownRole(ValidationFailed):
    code = "unknown_role"
    title = "Unknown role"


class InvalidClientName(ValidationFailed):
    code = "invalid_client_name"
    title = "The client name is not valid"


class InvalidScope(ValidationFailed):
    code = "invalid_scope"
    title = "A scope is not valid"


class InvalidExpiry(ValidationFailed):
    code = "invalid_expiry"
    title = "The token lifetime is not valid"


class DuplicateClient(Conflict):
    code = "duplicate_client"
    title = "An API client with this name already exists"


class TokenIssueForbidden(DomainError):
    status = 403
    code = "token_issue_forbidden"
    title = "Only the client's owner may issue its tokens"


class ClientInactive(Conflict):
    code = "client_inactive"
    title = "The API client is deactivated"


class TokenAlreadyRevoked(Conflict):
    code = "token_already_revoked"
    title = "The token is already revoked"


class InvalidOwner(ValidationFailed):
    code = "invalid_owner"
    title = "The API client's owner is not valid"
