"""The role names the engine's permission catalogues are keyed by.

Each engine app keeps the permissions it gives each role next to its models, in its own
``core_banking/<app>/roles.py`` (``LEDGER_ROLE_PERMISSIONS``, ``DEPOSITS_ROLE_PERMISSIONS``, ...: role
name -> ``"app_label.codename"`` list). The back office's role catalogue
(``backoffice/staff/roles.py``) takes the names from here and merges those mappings into its
``ROLE_PERMISSIONS``, with its own apps' permissions; the engine never imports the back office. A role
is a Django group of that name: the engine on its own needs nothing more than the groups holding
its share (the engine's tests build them from these modules, ``tests/core_banking/api_auth.py``).
"""

from __future__ import annotations

OPERATIONS = "operations"
COMPLIANCE_REVIEWER = "compliance_reviewer"
COMPLIANCE_OFFICER = "compliance_officer"
SUPPORT_AGENT = "support_agent"
FINANCE = "finance"
ADMINISTRATOR = "administrator"
API_CLIENT = "api_client"

#: Roles that are people signing in to the back office (the API client role is a machine).
STAFF_ROLE_NAMES: tuple[str, ...] = (
    OPERATIONS,
    COMPLIANCE_REVIEWER,
    COMPLIANCE_OFFICER,
    SUPPORT_AGENT,
    FINANCE,
    ADMINISTRATOR,
)
ROLE_NAMES: tuple[str, ...] = (*STAFF_ROLE_NAMES, API_CLIENT)
