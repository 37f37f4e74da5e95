"""``rec_safeguarding_difference`` (difference = safeguarded - client money) only where it can be
checked exactly. SQLite (``make run``) stores decimals as binary floating point and computes the
subtraction in it, so the check refused most safeguarding checks with cents (the end of day's
safeguarding step failed there). It is dropped from SQLite and kept on PostgreSQL and in the
migration state; the service computes the difference in ``Decimal`` either way."""

from django.db import migrations


class _RemoveConstraintOffPostgres(migrations.RemoveConstraint):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("reconciliation", "0002_labels_in_words"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                _RemoveConstraintOffPostgres(model_name="safeguardingcheck", name="rec_safeguarding_difference"),
            ],
            state_operations=[],
        ),
    ]
