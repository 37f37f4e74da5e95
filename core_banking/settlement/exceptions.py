"""Settlement refusals (problem+json codes in the API, messages in the commands and admin)."""

from core_banking.common.errors import Conflict, NotFound, ValidationFailed


class SettlementFileInvalid(ValidationFailed):
    code = "settlement_file_invalid"
    title = "The file is not a status report or notification the bank can read"


class SettlementFileUnmatched(ValidationFailed):
    code = "settlement_file_unmatched"
    title = "The file answers a batch the bank did not send"


class BatchNotFound(NotFound):
    code = "settlement_batch_not_found"
    title = "No such settlement batch"


class SettlementFileNotFound(NotFound):
    code = "settlement_file_not_found"
    title = "No such settlement file"


class BatchStateRefused(Conflict):
    code = "settlement_batch_state"
    title = "The batch is not in a state that allows this"


class BatchNotSendable(Conflict):
    code = "settlement_batch_not_sendable"
    title = "A payment of the closed batch changed after its file was written; cancel the batch"


class SuspenseStateRefused(Conflict):
    code = "settlement_suspense_state"
    title = "The suspense item is not open"


class SuspenseAccountMissing(Conflict):
    code = "settlement_suspense_account_missing"
    title = "No suspense booking account for the currency"
