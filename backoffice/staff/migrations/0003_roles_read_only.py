"""Roles cannot be widened by hand (issue 16): the administrator role loses `auth.add_group` and
`auth.change_group`, and the ledger accounts (view, add: the chart is finance's), as the roles
sync only adds permissions. A role is granted to a person through
a `role_grant` approval request. Names are frozen here; reversing does nothing (it would reopen
the hole)."""

from django.db import migrations

REMOVED = {"administrator": (("auth", "add_group"), ("auth", "change_group"),
                             # the chart of accounts is finance's; balances are no administrator's business
                             ("ledger", "view_ledgeraccount"), ("ledger", "add_ledgeraccount"))}


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, permissions in REMOVED.items():
        group = Group.objects.using(db).filter(name=role).first()
        if group is None:
            continue
        for app_label, codename in permissions:
            permission = Permission.objects.using(db).filter(content_type__app_label=app_label,
                                                             codename=codename).first()
            if permission is not None:
                group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
