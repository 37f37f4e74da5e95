"""Indexes behind the staff search box (``customers.selectors.customer_find``), PostgreSQL only.

* ``pg_trgm`` trigram GIN indexes on ``UPPER(first_name)``, ``UPPER(last_name)`` and
  ``UPPER(legal_name)``: Django's ``icontains`` is ``UPPER(col::text) LIKE UPPER('%word%')``, which
  a B-tree cannot serve; the trigram index can, for any fragment of three characters or more.
* ``UPPER(email)``: ``iexact`` is ``UPPER(email::text) = UPPER(...)``, which the plain index on
  ``email`` cannot serve.

The embedded SQLite of ``make run`` gets none (demo-sized data). The indexes are created in the
migration's transaction; on a large live table build them first with ``CREATE INDEX CONCURRENTLY``
under the same names (``IF NOT EXISTS`` then skips them).
"""

from django.db import migrations

INDEXES = {
    "customer_first_name_trgm": "USING gin ((UPPER(first_name::text)) gin_trgm_ops)",
    "customer_last_name_trgm": "USING gin ((UPPER(last_name::text)) gin_trgm_ops)",
    "customer_legal_name_trgm": "USING gin ((UPPER(legal_name::text)) gin_trgm_ops)",
    "customer_email_upper": "((UPPER(email::text)))",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {definition}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_view_pii")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
