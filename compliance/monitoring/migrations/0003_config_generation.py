"""Configuration changes bump the 'monitoring' generation (core_banking/config/cache.py)."""

from django.db import migrations

from core_banking.common.migration_operations import TrackConfig


class Migration(migrations.Migration):
    dependencies = [("compliance_monitoring", "0002_labels_in_words"), ("config", "0001_initial")]

    operations = [TrackConfig(table, "monitoring") for table in ("compliance_monitoring_monitoringrule", "compliance_monitoring_ruleversion")]
