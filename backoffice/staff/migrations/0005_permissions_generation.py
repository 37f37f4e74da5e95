"""Changes to permissions, groups' permissions and people's groups bump the 'permissions'
generation (backoffice/staff/permissions_backend.py, core_banking/config/cache.py)."""

from django.db import migrations

from core_banking.common.migration_operations import TrackConfig


class Migration(migrations.Migration):
    dependencies = [("staff", "0004_operations_dashboard_permission"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("config", "0001_initial")]

    operations = [TrackConfig(table, "permissions") for table in (
        "auth_permission", "auth_group", "auth_group_permissions", "auth_user_groups", "auth_user_user_permissions")]
