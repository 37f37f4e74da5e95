"""Staff roles are granted through maker-checker and removed at once.

Granting a role widens what a person may do, so it is an approval request (action type
``role_grant``: an administrator asks, a compliance officer decides, never the person who
receives the role); ``role_grant`` below passes the maker-checker gate like every sensitive
service. Removing a role only narrows, so it applies at once. Both are audited. Superuser status,
direct user permissions and the role groups' own permissions are not edited through the back
office at all (the roles catalogue in ``roles.py`` and its migrations are the only source).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from core_banking.audit.services import audit_record
from core_banking.common.errors import DomainError, NotFound
from core_banking.common.maker_checker import Deferred, guarded, system_execution

from .roles import COMPLIANCE_OFFICER, STAFF_ROLE_NAMES, roles_of


class InvalidRoleChange(DomainError):
    status = 422
    code = "invalid_role_change"
    title = "The role change is not valid"


class StaffUserNotFound(NotFound):
    code = "staff_user_not_found"
    title = "No such staff user"


def _staff_user(user_id: int):
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise StaffUserNotFound(f"user {user_id} does not exist")
    if hasattr(user, "api_client"):
        raise InvalidRoleChange(f"{user.username} is an API client's user; its role is the client's role",
                                field="user_id")
    if not user.is_staff or not user.is_active:
        raise InvalidRoleChange(f"{user.username} is not an active staff member", field="user_id")
    return user


def _checker_exists() -> bool:
    return get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=COMPLIANCE_OFFICER).exists()


def role_validate(*, user_id: int, role: str) -> None:
    if role not in STAFF_ROLE_NAMES:
        raise InvalidRoleChange(f"unknown staff role {role!r}; one of {', '.join(STAFF_ROLE_NAMES)}", field="role")
    user = _staff_user(user_id)
    if role in roles_of(user):
        raise InvalidRoleChange(f"{user.username} already holds the {role} role", field="role")


@transaction.atomic
def role_grant(*, user_id: int, role: str, actor=None, reason: str = "") -> object | Deferred:
    """Give a staff member a role; returns the ``Deferred`` approval request unless an approved
    ``role_grant`` is being executed.

    Bootstrap: while the bank has no active compliance officer (nobody could approve), a grant
    applies at once, audited as such (how the first administrator and compliance officers get
    their roles after ``createsuperuser``). From the first compliance officer on, every grant waits
    for one."""
    if not _checker_exists():
        with system_execution():
            return _role_grant(user_id=user_id, role=role, actor=actor, reason=f"bootstrap (no compliance officer "
                               f"yet to approve): {reason}")
    return guarded("role_grant", payload={"user_id": user_id, "role": role, "reason": reason}, actor=actor,
                   reason=reason, execute=lambda: _role_grant(user_id=user_id, role=role, actor=actor, reason=reason))


def _role_grant(*, user_id: int, role: str, actor, reason: str):
    role_validate(user_id=user_id, role=role)
    user = _staff_user(user_id)
    before = roles_of(user)
    user.groups.add(Group.objects.get(name=role))
    audit_record(action="staff.role_granted", obj=user, actor=actor, reason=reason, changes=["roles"],
                 before={"roles": before}, after={"roles": roles_of(user)})
    return user


@transaction.atomic
def role_remove(*, user_id: int, role: str, actor=None, reason: str = ""):
    """Take a role away at once (it only narrows what the person may do)."""
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise StaffUserNotFound(f"user {user_id} does not exist")
    before = roles_of(user)
    if role not in before:
        raise InvalidRoleChange(f"{user.username} does not hold the {role} role", field="role")
    user.groups.remove(Group.objects.get(name=role))
    audit_record(action="staff.role_removed", obj=user, actor=actor, reason=reason, changes=["roles"],
                 before={"roles": before}, after={"roles": roles_of(user)})
    return user
