"""Screening's refusals (problem+json codes in the API, messages in ``load_watchlist``)."""

from core_banking.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed


class WatchListNotFound(NotFound):
    code = "watchlist_not_found"
    title = "No such watch list"


class WatchListFileDuplicate(Conflict):
    code = "watchlist_file_duplicate"
    title = "This file was already loaded into this list"


class WatchListFileInvalid(ValidationFailed):
    code = "watchlist_file_invalid"
    title = "The list file cannot be loaded"


class ScreeningHitNotFound(NotFound):
    code = "screening_hit_not_found"
    title = "No such screening hit"


class ScreeningHitDecided(Conflict):
    code = "screening_hit_decided"
    title = "The hit was already decided"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    title = "This action needs a reason"


class ScreeningPermissionRefused(PermissionRefused):
    """The caller lacks ``compliance_screening.decide_screeninghit`` (``permission_denied``)."""
