"""The end of day's refusals (problem+json codes in the API, messages in ``run_eod``)."""

from core_banking.common.errors import Conflict, NotFound, ValidationFailed


class EodDateInFuture(ValidationFailed):
    code = "eod_date_in_future"
    title = "The business date has not been reached"


class EodDateNotOpen(Conflict):
    code = "eod_date_not_open"
    title = "Only the open business date can start an end of day"


class EodPreviousIncomplete(Conflict):
    code = "eod_previous_incomplete"
    title = "The previous end of day has not completed"


class EodRunNotFound(NotFound):
    code = "eod_run_not_found"
    title = "No end of day run for that business date"


class EodStepUnknown(ValidationFailed):
    code = "eod_step_unknown"
    title = "A configured end-of-day step is not a Step"
