"""The index behind the staff search box's look-up of ledger entries by amount
(``ledger.selectors.journal_entry_find``), PostgreSQL only.

``ledger_posting_amount``: a B-tree on the signed ``ledger_posting.amount``. The search asks for a
posting of an absolute amount, debit or credit, as ``amount IN (a, -a)``: two equality probes of
this index (a plain column index, no ``ABS(amount)`` expression, so it also serves any other
equality or range on the amount). It costs every posting insert one more index entry.

Like ``customers.0003_search_indexes`` it is kept out of the model state (no ``Meta.indexes``
entry; ``makemigrations`` stays quiet) and the embedded SQLite of ``make run`` gets none
(demo-sized data). It is created in the migration's transaction, which locks ``ledger_posting``
against writes while it builds; on a large live ledger build it first with
``CREATE INDEX CONCURRENTLY ledger_posting_amount ON ledger_posting (amount)`` (``IF NOT EXISTS``
then skips it).
"""

from django.db import migrations

NAME = "ledger_posting_amount"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON ledger_posting (amount)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_config_generation")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
