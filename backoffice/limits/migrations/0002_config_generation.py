"""Configuration changes bump the 'limits' generation (core_banking/config/cache.py)."""

from django.db import migrations

from core_banking.common.migration_operations import TrackConfig


class Migration(migrations.Migration):
    dependencies = [("limits", "0001_initial"), ("config", "0001_initial")]

    operations = [TrackConfig(table, "limits") for table in ("limits_limitprofile", "limits_limitrule")]
