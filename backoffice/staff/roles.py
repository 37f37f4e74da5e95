"""The role catalogue: each role is a Django group, each group a set of permissions.

Why groups: Django's permission machinery (admin, DRF `DjangoModelPermissions`, guardian,
`user.has_perm`) already understands them, so a role needs no code of its own. Least privilege:
a role lists exactly what it needs; anything else is granted by hand by an administrator.

The engine's apps keep the permissions they give each role in their own ``core_banking/<app>/roles.py``
(keyed by the role names of ``core_banking/common/roles.py``), merged into ``ROLE_PERMISSIONS`` below:
the engine runs without the back office, so its catalogue must not live here.

The catalogue names permissions as ``"app_label.codename"``. Apps that do not exist yet (or a
permission a later migration adds) are skipped by the sync, so an app can add its codenames here
before its models land. When an app adds a permission, it appends it to the roles below; the
`post_migrate` receiver (see `apps.py`) then grants it on the next `migrate`.

The sync only ever *adds* permissions: an administrator may widen a group by hand and the next
`migrate` will not take that back. Removing a permission from a role is a data migration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS

from backoffice.kyc.roles import KYC_ROLE_PERMISSIONS
from backoffice.webhooks.roles import WEBHOOKS_ROLE_PERMISSIONS
from compliance.cases.roles import CASES_ROLE_PERMISSIONS
from compliance.monitoring.roles import MONITORING_ROLE_PERMISSIONS
from compliance.screening.roles import SCREENING_ROLE_PERMISSIONS
from core_banking.accounts.roles import ACCOUNTS_ROLE_PERMISSIONS
from core_banking.audit.roles import AUDIT_ROLE_PERMISSIONS
from core_banking.common.roles import (
    ADMINISTRATOR,
    API_CLIENT,
    COMPLIANCE_OFFICER,
    COMPLIANCE_REVIEWER,
    FINANCE,
    OPERATIONS,
    ROLE_NAMES,
    STAFF_ROLE_NAMES,
    SUPPORT_AGENT,
)
from core_banking.customers.roles import CUSTOMERS_ROLE_PERMISSIONS
from core_banking.deposits.roles import DEPOSITS_ROLE_PERMISSIONS
from core_banking.eod.roles import EOD_ROLE_PERMISSIONS
from core_banking.events.roles import EVENTS_ROLE_PERMISSIONS
from core_banking.interest.roles import INTEREST_ROLE_PERMISSIONS
from core_banking.ledger.roles import LEDGER_ROLE_PERMISSIONS
from core_banking.loans.roles import LOANS_ROLE_PERMISSIONS
from core_banking.payments.roles import PAYMENTS_ROLE_PERMISSIONS
from core_banking.settlement.roles import SETTLEMENT_ROLE_PERMISSIONS
from reconciliation.roles import RECONCILIATION_ROLE_PERMISSIONS

logger = logging.getLogger(__name__)

# The role names (OPERATIONS ... API_CLIENT, ROLE_NAMES, and STAFF_ROLE_NAMES: the roles that are
# people) are the engine's, imported above from core_banking/common/roles.py; the back office's
# modules keep importing them from here.

_CELERY_BEAT_MODELS = (
    "periodictask",
    "intervalschedule",
    "crontabschedule",
    "solarschedule",
    "clockedschedule",
)

# Group name -> permissions ("app_label.codename"). Group names are the role names. The engine's
# apps (ledger, customers, accounts, payments, audit, deposits, loans, ...) keep theirs in their own
# ``core_banking/<app>/roles.py``, merged below; this table holds the back office's own apps'.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATIONS: [
        "staff.view_operations_dashboard",
        # Tariffs: plans, versions, fee rules and tiers, customer overrides.
        *(f"tariffs.{action}_{model}" for model in ("tariffplan", "tariffversion", "feerule", "feetier",
                                                   "customertariff") for action in ("view", "add", "change")),
        *(f"tariffs.delete_{model}" for model in ("tariffversion", "feerule", "feetier", "customertariff")),
        "tariffs.view_feeusage",
        # Limits: profiles and rules per product, customer and account.
        "limits.view_limitprofile",
        "limits.add_limitprofile",
        "limits.change_limitprofile",
        "limits.view_limitrule",
        "limits.add_limitrule",
        "limits.change_limitrule",
        "limits.delete_limitrule",
        "limits.view_limitusage",
        "limits.view_limitusagerecord",
        # Support tickets: work and supervise every queue; teams, categories and SLAs.
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.work_ticket",
        "tickets.manage_ticket",
        "tickets.view_internal_note",
        # Maker-checker: initiate and decide sensitive actions.
        "approvals.view_approvalrequest",
        "approvals.add_approvalrequest",
        "approvals.decide_approvalrequest",
        "approvals.view_approvalpolicy",
        *(f"tickets.{action}_{model}" for model in ("team", "category", "categorysla")
          for action in ("view", "add", "change")),
    ],
    COMPLIANCE_REVIEWER: [
        "tickets.view_ticket",
        "approvals.view_approvalrequest",
        "approvals.add_approvalrequest",
        "approvals.view_approvalpolicy",
    ],
    COMPLIANCE_OFFICER: [
        "staff.view_operations_dashboard",
        "tickets.view_ticket",
        "tickets.view_internal_note",
        "approvals.view_approvalrequest",
        "approvals.add_approvalrequest",
        "approvals.decide_approvalrequest",
        "approvals.view_approvalpolicy",
    ],
    SUPPORT_AGENT: [
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.work_ticket",
        "tickets.view_internal_note",
        "tickets.view_team",
        "tickets.view_category",
        "tickets.view_categorysla",
        *(f"tariffs.view_{model}" for model in ("tariffplan", "tariffversion", "feerule", "feetier",
                                               "customertariff", "feeusage")),
        "limits.view_limitprofile",
        "limits.view_limitrule",
        "limits.view_limitusage",
    ],
    FINANCE: [
        "staff.view_operations_dashboard",
        "approvals.view_approvalrequest",
        "approvals.add_approvalrequest",
        "approvals.decide_approvalrequest",
        "approvals.view_approvalpolicy",
        *(f"tariffs.view_{model}" for model in ("tariffplan", "tariffversion", "feerule", "feetier",
                                               "customertariff", "feeusage")),
        "limits.view_limitprofile",
        "limits.view_limitrule",
        "limits.view_limitusage",
    ],
    ADMINISTRATOR: [
        # Staff accounts are deactivated, never deleted: the audit trail keeps pointing at them.
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        # Roles are read-only: the catalogue is their source, and granting one is a maker-checker
        # request (backoffice/staff/services.py); administrators ask, compliance officers decide.
        "auth.view_group",
        "auth.view_permission",
        # Resetting a lost authenticator: an administrator removes the staff member's devices.
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "otp_static.view_staticdevice",
        "otp_static.delete_staticdevice",
        "tickets.view_ticket",
        "tickets.work_ticket",
        "tickets.manage_ticket",
        "tickets.view_internal_note",
        *(f"tickets.{action}_{model}" for model in ("team", "category", "categorysla")
          for action in ("view", "add", "change")),
        "approvals.view_approvalrequest",
        # Initiates (never decides) what is theirs to ask for: creating or widening an API client.
        "approvals.add_approvalrequest",
        "approvals.view_approvalpolicy",
        "approvals.change_approvalpolicy",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "api_clients.view_apiclient",
        "api_clients.add_apiclient",
        "api_clients.change_apiclient",
        "api_clients.view_apitoken",
        "api_clients.add_apitoken",
        "api_clients.change_apitoken",
        *(
            f"django_celery_beat.{action}_{model}"
            for model in _CELERY_BEAT_MODELS
            for action in ("view", "add", "change", "delete")
        ),
    ],
    API_CLIENT: [
        "limits.view_limitusage",  # the remaining allowance a partner app shows its user
        "tickets.view_ticket",
        "tickets.add_ticket",
        "approvals.view_approvalrequest",
        "approvals.add_approvalrequest",
    ],
}


# KYC review: the permissions per role are kept next to the workflow they govern (read the
# reasons there) and merged into the catalogue here.
for _role, _permissions in KYC_ROLE_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role].extend(_permissions)

# Any staff member may own an API client (a compliance officer approves who owns which), and only
# the owner issues its tokens (api_clients.services.api_token_issue checks who asks).
for _role in STAFF_ROLE_NAMES:
    if "api_clients.add_apitoken" not in ROLE_PERMISSIONS[_role]:
        ROLE_PERMISSIONS[_role].append("api_clients.add_apitoken")

# The engine's apps (the ledger, customers, accounts, payments, the audit trail, term deposits, loans,
# interest, the end of day, events, settlement), compliance and reconciliation keep theirs next to
# their models too.
for _catalogue in (LEDGER_ROLE_PERMISSIONS, CUSTOMERS_ROLE_PERMISSIONS, ACCOUNTS_ROLE_PERMISSIONS,
                   PAYMENTS_ROLE_PERMISSIONS, AUDIT_ROLE_PERMISSIONS, DEPOSITS_ROLE_PERMISSIONS,
                   LOANS_ROLE_PERMISSIONS, EOD_ROLE_PERMISSIONS, EVENTS_ROLE_PERMISSIONS, INTEREST_ROLE_PERMISSIONS,
                   CASES_ROLE_PERMISSIONS, SCREENING_ROLE_PERMISSIONS, MONITORING_ROLE_PERMISSIONS,
                   RECONCILIATION_ROLE_PERMISSIONS, WEBHOOKS_ROLE_PERMISSIONS, SETTLEMENT_ROLE_PERMISSIONS):
    for _role, _permissions in _catalogue.items():
        ROLE_PERMISSIONS[_role].extend(_permissions)


class UnknownRole(ValueError):
    """Raised for a role name that is not in the catalogue (a typo must not create a group)."""


def _split(permission: str) -> tuple[str, str]:
    app_label, _, codename = permission.partition(".")
    if not app_label or not codename:
        raise ValueError(f"Permission {permission!r} is not 'app_label.codename'")
    return app_label, codename


def sync_role_groups(
    *,
    apps: Apps = global_apps,
    using: str = DEFAULT_DB_ALIAS,
    app_labels: Iterable[str] | None = None,
    catalogue: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, list[str]]:
    """Create the role groups and add the catalogue's permissions that exist; idempotent.

    `app_labels` limits the work to the permissions of those apps: the `post_migrate` receiver
    runs once per app, just after Django created that app's permissions. `apps` is the app
    registry to take the models from (the migration state during `post_migrate`).

    Returns the permissions added per role, for logging and tests. Never removes a permission.
    """
    catalogue = ROLE_PERMISSIONS if catalogue is None else catalogue
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    labels = None if app_labels is None else set(app_labels)

    wanted: dict[str, set[tuple[str, str]]] = {}
    for role, permissions in catalogue.items():
        pairs = {_split(permission) for permission in permissions}
        if labels is not None:
            pairs = {pair for pair in pairs if pair[0] in labels}
        wanted[role] = pairs

    groups = {group.name: group for group in Group.objects.using(using).filter(name__in=catalogue)}
    missing_groups = [Group(name=role) for role in catalogue if role not in groups]
    if missing_groups:
        Group.objects.using(using).bulk_create(missing_groups, ignore_conflicts=True)
        groups = {group.name: group for group in Group.objects.using(using).filter(name__in=catalogue)}

    needed_labels = {app_label for pairs in wanted.values() for app_label, _ in pairs}
    if not needed_labels:
        return {role: [] for role in catalogue}
    existing = {
        (app_label, codename): pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(content_type__app_label__in=needed_labels)
        .values_list("pk", "content_type__app_label", "codename")
    }

    added: dict[str, list[str]] = {}
    for role, pairs in wanted.items():
        group = groups[role]
        present = set(group.permissions.using(using).values_list("pk", flat=True))
        to_add = sorted(pair for pair in pairs if pair in existing and existing[pair] not in present)
        skipped = sorted(pair for pair in pairs if pair not in existing)
        if skipped:
            logger.debug("Role %s: permissions not installed yet: %s", role, skipped)
        if to_add:
            group.permissions.add(*(existing[pair] for pair in to_add))
        added[role] = [f"{app_label}.{codename}" for app_label, codename in to_add]
    return added


def assign_role(user, role: str):
    """Put `user` in the group of `role` (creating the group if a migration has not yet).

    Additive: the user keeps any other role. Returns the group.
    """
    from django.contrib.auth.models import Group

    if role not in ROLE_NAMES:
        raise UnknownRole(f"Unknown role {role!r}; known roles: {', '.join(ROLE_NAMES)}")
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return group


def roles_of(user) -> list[str]:
    """The catalogue roles a user holds, in catalogue order (other groups are not roles)."""
    if not getattr(user, "is_authenticated", False):
        return []
    names = set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
    return [role for role in ROLE_NAMES if role in names]
