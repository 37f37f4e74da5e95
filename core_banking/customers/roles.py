"""The customers permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

``customers.view_customer_pii`` is the customer's personal data in full; a role without it sees it
masked (``core_banking/customers/pii.py``).

* operations: onboards customers and maintains their data (personal data included).
* compliance_reviewer, compliance_officer: see the customers they judge, in full (issue 16).
* support_agent: sees customers, their personal data masked.
* finance, administrator: nothing.
* api_client: onboards customers and sees them in full: a partner shows its own users the data it
  onboarded them with.
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

_JUDGED = ["customers.view_customer", "customers.view_customer_pii"]

CUSTOMERS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATIONS: ["customers.view_customer", "customers.view_customer_pii", "customers.add_customer",
                 "customers.change_customer"],
    COMPLIANCE_REVIEWER: [*_JUDGED],
    COMPLIANCE_OFFICER: [*_JUDGED],
    SUPPORT_AGENT: ["customers.view_customer"],
    FINANCE: [],
    ADMINISTRATOR: [],
    API_CLIENT: ["customers.view_customer", "customers.view_customer_pii", "customers.add_customer"],
}
