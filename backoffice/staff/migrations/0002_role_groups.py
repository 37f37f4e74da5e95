"""Create the role groups. Their permissions are granted by the `post_migrate` receiver
(`backoffice.staff.apps.sync_roles_after_migrate`), because Django creates permissions only
after all migrations have run, and apps installed later add theirs to the catalogue.

The names are frozen here rather than imported from `roles.py`, as a migration must not change
meaning when the code moves on.
"""

from django.db import migrations

ROLE_NAMES = (
    "operations",
    "compliance_reviewer",
    "compliance_officer",
    "support_agent",
    "finance",
    "administrator",
    "api_client",
)


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    db = schema_editor.connection.alias
    for name in ROLE_NAMES:
        Group.objects.using(db).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("staff", "0001_initial"),
    ]

    operations = [
        # Reversing keeps the groups: deleting them would silently drop everyone's roles.
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
    ]
