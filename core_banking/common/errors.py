"""One application error hierarchy with stable codes.

Services raise these; the API renders them as `application/problem+json` (RFC 9457) through
one exception handler, the admin and staff pages turn them into form errors, and management
commands print them and exit non-zero. `code` is part of the public contract: never rename one.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: a refusal the caller can act on."""

    code: str = "domain_error"
    status: int = 400
    title: str = "The request was refused"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def as_problem(self) -> dict[str, Any]:
        problem = {
            "type": f"https://corebank.dev/problems/{self.code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        # Extra members never replace the problem's own (a refusal that names an object's
        # ``status`` once overwrote the HTTP status): they are kept under ``<name>_detail``.
        for key, value in self.extra.items():
            problem[f"{key}_detail" if key in _RESERVED else key] = value
        return problem


_RESERVED = frozenset({"type", "title", "status", "code", "detail", "instance"})


class ValidationFailed(DomainError):
    code = "validation_error"
    title = "The request is not valid"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class PermissionRefused(DomainError):
    code = "permission_denied"
    status = 403
    title = "You may not do this"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict with the current state"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    title = "This transition is not allowed from the current state"
