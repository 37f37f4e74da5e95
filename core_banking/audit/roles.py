"""The audit trail's permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

``audit.view_auditevent``: the audit trail in the admin (append-only; nobody changes it).

* compliance_officer: investigations.
* administrator: who did what on the platform (staff accounts, configuration).
* everyone else: nothing.
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

VIEW = "audit.view_auditevent"

AUDIT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATIONS: [],
    COMPLIANCE_REVIEWER: [],
    COMPLIANCE_OFFICER: [VIEW],
    SUPPORT_AGENT: [],
    FINANCE: [],
    ADMINISTRATOR: [VIEW],
    API_CLIENT: [],
}
