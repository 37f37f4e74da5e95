"""The ledger permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* operations: reads entries and ledger accounts (the customers' accounts it opens are booked there).
* compliance_reviewer, compliance_officer: read the entries and ledger accounts an approval request
  points to (what they must see to decide on a customer, an account or a payment, issue 16).
* support_agent: reads entries (a customer's statement line); no ledger accounts.
* finance: the chart of accounts and the currencies/assets it uses are finance's to maintain; posts
  entries (``ledger.post_entry``) and reads the trial balance.
* administrator: the currencies only. No ledger accounts: the chart of accounts is finance's, and
  balances are no administrator's business (least privilege; the role moves no money).
* api_client: reads entries and ledger accounts. No ``ledger.post_entry``: raw ledger posting is the
  finance role's (a ledger-scoped client of a role that holds it), never a partner's baseline.
"""

from core_banking.common.roles import (
    ADMINISTRATOR,
    API_CLIENT,
    COMPLIANCE_OFFICER,
    COMPLIANCE_REVIEWER,
    FINANCE,
    OPERATIONS,
    SUPPORT_AGENT,
)

_READ = ["ledger.view_journalentry", "ledger.view_ledgeraccount"]

LEDGER_ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATIONS: [*_READ],
    COMPLIANCE_REVIEWER: [*_READ],
    COMPLIANCE_OFFICER: [*_READ],
    SUPPORT_AGENT: ["ledger.view_journalentry"],
    FINANCE: [
        *_READ,
        "ledger.post_entry",
        "ledger.view_trial_balance",
        "ledger.add_ledgeraccount",
        "ledger.change_ledgeraccount",
        "ledger.view_currency",
        "ledger.add_currency",
        "ledger.change_currency",
    ],
    ADMINISTRATOR: ["ledger.view_currency"],
    API_CLIENT: [*_READ],
}
