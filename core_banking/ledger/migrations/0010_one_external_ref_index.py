"""One index on ``ledger_entry.external_ref`` instead of two.

``db_index=True`` on a CharField gives PostgreSQL two B-trees: a plain one and a
``varchar_pattern_ops`` one for ``LIKE 'prefix%'``. Entries are looked up by their external
reference by equality only (``selectors.journal_entries``, the admin's exact search), so the second
was one more index entry per entry written for no reader. The plain index is kept and renamed to
the name the model now declares in ``Meta.indexes`` (no rebuild on PostgreSQL); the pattern index
is dropped.
"""

from django.db import migrations, models

OLD = "ledger_entry_external_ref_2af0e473"
NEW = "ledger_entry_external_ref"


def _run(schema_editor, *statements):
    for statement in statements:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, f"DROP INDEX IF EXISTS {OLD}_like", f"ALTER INDEX {OLD} RENAME TO {NEW}")
    else:  # SQLite (make run) cannot rename an index
        _run(schema_editor, f"DROP INDEX IF EXISTS {OLD}", f"CREATE INDEX {NEW} ON ledger_entry (external_ref)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, f"ALTER INDEX {NEW} RENAME TO {OLD}",
             f"CREATE INDEX {OLD}_like ON ledger_entry (external_ref varchar_pattern_ops)")
    else:
        _run(schema_editor, f"DROP INDEX IF EXISTS {NEW}", f"CREATE INDEX {OLD} ON ledger_entry (external_ref)")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_set_based_references")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="journalentry",
                    name="external_ref",
                    field=models.CharField(blank=True, max_length=128),
                ),
                migrations.AddIndex(model_name="journalentry", index=models.Index(fields=["external_ref"], name=NEW)),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
