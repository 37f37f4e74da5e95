from core_banking.common.errors import DomainError


class InvalidCursor(DomainError):
    status = 400
    code = "invalid_cursor"
    title = "The cursor is not one this feed gave"
