"""The end-of-day permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

Two permissions govern the whole end of day, in the admin and the API alike:
``eod.view_eodrun`` (the runs, their steps, history and chunks, and the bank calendar) and
``eod.start_eodrun`` (start the end of day of the open business date, or re-run a failed or stuck
one). The steps, history and chunks have no permission of their own: they are the run's progress.

* operations: runs the bank's day, so sees the runs and starts / re-runs them (the beat schedule
  starts the run at the cut-off; a person steps in when it failed or a worker died).
* finance: the end of day posts interest, fees and accruals to the ledger finance answers for, and
  a failed run holds back the next business date's figures: sees and starts / re-runs.
* compliance_officer: sees the runs (investigations: when a date was closed, who re-ran it and
  how often); starts nothing.
* compliance_reviewer, support_agent: nothing. A reviewer judges customers and payments, not
  batches; a support agent answers a customer from the customer's own deposits, loans and
  statements, and a failed run is an operations incident, not a support topic (its chunk errors
  are internal tracebacks).
* administrator: nothing. Administrators run the platform, not the bank's books; the end of day
  moves money.
* api_client: nothing. A partner's token never sees or starts the end of day (the API refuses a
  partner client whatever its role or scopes); a bank-channel client gets the ``eod`` scope and one
  of the roles above when the bank's own tooling needs it.

The roles sync (``backoffice.staff.apps.sync_roles_after_migrate``) grants these on the next
``migrate``, as it only ever adds permissions, so no data migration is needed.
"""

VIEW = "eod.view_eodrun"
START = "eod.start_eodrun"

EOD_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [VIEW, START],
    "compliance_reviewer": [],
    "compliance_officer": [VIEW],
    "support_agent": [],
    "finance": [VIEW, START],
    "administrator": [],
    "api_client": [],
}
