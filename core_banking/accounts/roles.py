"""The accounts permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* operations: opens customers' accounts and runs their lifecycle and overdrafts; sees the products.
* compliance_reviewer, compliance_officer: see the accounts they judge and their products (issue 16).
* support_agent: sees accounts and products; changes nothing.
* finance: defines the products (their GL account and overdraft policy) and sees the accounts.
* administrator: nothing.
* api_client: a partner app shows the products and opens accounts for its customers.
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

_VIEW = ["accounts.view_account", "accounts.view_product"]

ACCOUNTS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATIONS: ["accounts.view_product", "accounts.view_account", "accounts.add_account",
                 "accounts.change_account"],
    COMPLIANCE_REVIEWER: [*_VIEW],
    COMPLIANCE_OFFICER: [*_VIEW],
    SUPPORT_AGENT: [*_VIEW],
    FINANCE: [*_VIEW, "accounts.add_product", "accounts.change_product"],
    ADMINISTRATOR: [],
    API_CLIENT: ["accounts.view_product", "accounts.view_account", "accounts.add_account"],
}
