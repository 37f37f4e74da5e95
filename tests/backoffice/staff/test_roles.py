import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal

from backoffice.staff.roles import (
    ROLE_NAMES,
    ROLE_PERMISSIONS,
    UnknownRole,
    assign_role,
    roles_of,
    sync_role_groups,
)

from .factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def installed_permissions() -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def group_permissions(name: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_role_is_a_group_after_migrate():
    assert set(Group.objects.filter(name__in=ROLE_NAMES).values_list("name", flat=True)) == set(ROLE_NAMES)
    assert len(ROLE_NAMES) == 7


def test_each_group_holds_exactly_the_installed_permissions_of_its_role():
    installed = installed_permissions()

    for role in ROLE_NAMES:
        assert group_permissions(role) == set(ROLE_PERMISSIONS[role]) & installed, role


def test_administrator_manages_users_groups_and_periodic_tasks():
    granted = group_permissions("administrator")

    assert not {"auth.add_group", "auth.change_group"} & granted  # roles are widened by nobody by hand
    assert {
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.add_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.delete_periodictask",
        "django_celery_beat.change_crontabschedule",
        "otp_totp.delete_totpdevice",
        "axes.delete_accessattempt",
    } <= granted
    assert "auth.delete_user" not in granted


def test_other_roles_get_nothing_outside_their_catalogue_entry():
    for role in ("compliance_reviewer", "support_agent", "operations", "finance", "api_client"):
        assert group_permissions(role) == set(ROLE_PERMISSIONS[role]) & installed_permissions(), role
    assert "payments.review_payment" not in group_permissions("support_agent")


def test_sync_skips_permissions_of_apps_that_are_not_installed():
    added = sync_role_groups(catalogue={"finance": ["not_an_app.do_things", "auth.view_group", "ledger.no_such_perm"]})

    assert added == {"finance": ["auth.view_group"]}
    assert "auth.view_group" in group_permissions("finance")


def test_post_migrate_restores_catalogue_permissions_and_keeps_hand_made_ones():
    administrator = Group.objects.get(name="administrator")
    view_user = Permission.objects.get(content_type__app_label="auth", codename="view_user")
    delete_user = Permission.objects.get(content_type__app_label="auth", codename="delete_user")
    administrator.permissions.remove(view_user)
    administrator.permissions.add(delete_user)  # an administrator widened the role by hand
    before = group_permissions("administrator")

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    after = group_permissions("administrator")
    assert after == before | {"auth.view_user"}
    assert "auth.delete_user" in after


def test_sync_is_idempotent():
    first = sync_role_groups()
    second = sync_role_groups()

    assert first == {role: [] for role in ROLE_PERMISSIONS}
    assert second == first
    assert Group.objects.filter(name__in=ROLE_NAMES).count() == len(ROLE_NAMES)


def test_sync_recreates_a_deleted_group():
    Group.objects.filter(name="finance").delete()

    sync_role_groups()

    assert group_permissions("finance") == set(ROLE_PERMISSIONS["finance"]) & (installed_permissions())


def test_assign_role_adds_the_group_and_keeps_other_roles():
    user = StaffUserFactory()

    assign_role(user, "support_agent")
    assign_role(user, "finance")
    assign_role(user, "finance")

    assert roles_of(user) == ["support_agent", "finance"]
    assert user.groups.count() == 2


def test_assign_role_refuses_an_unknown_role_without_creating_a_group():
    user = StaffUserFactory()

    with pytest.raises(UnknownRole):
        assign_role(user, "superhero")

    assert not Group.objects.filter(name="superhero").exists()
    assert user.groups.count() == 0
