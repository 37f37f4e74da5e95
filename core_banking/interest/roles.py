"""The interest permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* finance: manages the rate schedules and their versions and tiers (rates management), and sees
  the accruals and capitalisations.
* operations, support_agent: see the schedules (to answer "what rate do I get?"), the accrual
  rows and the capitalisations.
* compliance_officer: sees the accruals and capitalisations (investigations).
* api_client: sees the schedules (a partner app shows the rates). An account's interest is
  account data (``accounts.view_account``).
* compliance_reviewer, administrator: nothing.
"""

_SCHEDULES = ("interest.view_interestrateschedule", "interest.view_interestrate", "interest.view_interestratetier")
_ROWS = ("interest.view_interestaccrual", "interest.view_interestcapitalisation")

INTEREST_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [*_SCHEDULES, *_ROWS],
    "compliance_reviewer": [],
    "compliance_officer": [*_ROWS],
    "support_agent": [*_SCHEDULES, *_ROWS],
    "finance": [*_SCHEDULES, *_ROWS, "interest.add_interestrateschedule", "interest.change_interestrateschedule",
                "interest.add_interestrate", "interest.change_interestrate", "interest.add_interestratetier",
                "interest.change_interestratetier", "interest.delete_interestratetier"],
    "administrator": [],
    "api_client": [*_SCHEDULES],
}
