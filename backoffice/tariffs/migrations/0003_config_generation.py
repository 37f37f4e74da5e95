"""Configuration changes bump the 'tariffs' generation (core_banking/config/cache.py)."""

from django.db import migrations

from core_banking.common.migration_operations import TrackConfig


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0002_periodic_fee_charge"), ("config", "0001_initial")]

    operations = [TrackConfig(table, "tariffs") for table in ("tariffs_tariffplan", "tariffs_tariffversion", "tariffs_feerule", "tariffs_feetier", "tariffs_customertariff")]
