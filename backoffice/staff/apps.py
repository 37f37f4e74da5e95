from django.apps import AppConfig
from django.apps import apps as global_apps
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def sync_roles_after_migrate(sender, app_config, using, apps=global_apps, **kwargs) -> None:
    """Grant each app's catalogue permissions right after Django created them.

    Django sends `post_migrate` once per app, in INSTALLED_APPS order, and its own receiver that
    creates that app's permissions runs before this one (auth is ready first). Syncing only the
    sender's permissions therefore sees every permission exactly when it appears, including
    those of apps listed after this one. Tolerant of a partial migrate: without the auth tables
    in the migration state there is nothing to do.
    """
    from .roles import sync_role_groups

    try:
        apps.get_model("auth", "Group")
        apps.get_model("auth", "Permission")
    except LookupError:
        return
    sync_role_groups(apps=apps, using=using, app_labels={app_config.label})


class StaffConfig(AppConfig):
    name = "backoffice.staff"
    label = "staff"
    verbose_name = "Staff and roles"
    default = True

    def ready(self) -> None:
        from . import checks, schema  # noqa: F401 - register deploy checks, OpenAPI extension

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="staff.sync_role_groups")


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the staff admin site (2FA required) as `admin.site`."""

    default = False
    default_site = "backoffice.staff.admin_site.StaffAdminSite"
