"""Currency changes bump the 'currencies' generation (core_banking/config/cache.py)."""

from django.db import migrations

from core_banking.common.migration_operations import TrackConfig


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_labels_in_words"), ("config", "0001_initial")]

    operations = [TrackConfig("ledger_currency", "currencies")]
