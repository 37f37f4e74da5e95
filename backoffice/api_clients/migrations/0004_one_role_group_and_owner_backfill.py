"""A role is the whole grant (issue 16): undo the shared `api_client` marker group.

- API client users whose role is not `api_client` leave the `api_client` group (they were put in
  it on top of their role group, so every client held its baseline: raw ledger posting, payment
  initiation, ...). A client of the `api_client` role stays in it: it is its role group.
- The `api_client` group loses `ledger.post_entry` (the roles sync only adds permissions).
- Owners: a client without one is owned by its creator, where known.

Names are frozen here rather than imported, as a migration must not change meaning when the code
moves on. Reversing does nothing: putting the grants back would reopen the hole.
"""

from django.conf import settings
from django.db import migrations
from django.db.models import F

API_CLIENT_ROLE = "api_client"
REMOVED_PERMISSIONS = (("ledger", "post_entry"),)


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    ApiClient = apps.get_model("api_clients", "ApiClient")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model(settings.AUTH_USER_MODEL).groups.through

    ApiClient.objects.using(db).filter(owner__isnull=True, created_by__isnull=False).update(
        owner_id=F("created_by_id"))

    group = Group.objects.using(db).filter(name=API_CLIENT_ROLE).first()
    if group is None:
        return
    machine_users = ApiClient.objects.using(db).exclude(role=API_CLIENT_ROLE).values_list("user_id", flat=True)
    Membership.objects.using(db).filter(group_id=group.pk, user_id__in=list(machine_users)).delete()
    for app_label, codename in REMOVED_PERMISSIONS:
        permission = Permission.objects.using(db).filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("api_clients", "0003_apiclient_owner"),
        ("staff", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
