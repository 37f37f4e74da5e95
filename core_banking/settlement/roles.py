"""Settlement permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* operations: runs payments out and in: sees batches, files, items and the suspense queue,
  downloads files, closes due batches now, imports answers, asks to cancel a batch or to book /
  return a suspense item (a second person approves, ``backoffice/approvals/actions/settlement.py``).
* finance: answers for the settlement and suspense balances: sees everything, downloads files,
  imports answers; decides (as checker) on cancellations and suspense items.
* compliance_officer: sees everything (investigations: where a payment went, who returned what).
* compliance_reviewer, support_agent, administrator, api_client: nothing (a support agent sees a
  payment's ``sent`` / ``settled`` status on the payment itself).
"""

_VIEW = ["settlement.view_batch", "settlement.view_batchitem", "settlement.view_batchstatuschange",
         "settlement.view_settlementfile", "settlement.view_suspenseitem", "settlement.view_suspensestatuschange"]
CLOSE, CANCEL = "settlement.close_batch", "settlement.cancel_batch"
IMPORT, RESOLVE = "settlement.import_settlementfile", "settlement.resolve_suspenseitem"
VIEW = "settlement.view_batch"

SETTLEMENT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [*_VIEW, CLOSE, CANCEL, IMPORT, RESOLVE],
    "compliance_reviewer": [],
    "compliance_officer": list(_VIEW),
    "support_agent": [],
    "finance": [*_VIEW, IMPORT],
    "administrator": [],
    "api_client": [],
}
