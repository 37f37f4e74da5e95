"""Migration operations for what only PostgreSQL can do, shared by the apps.

The embedded SQLite database of ``make run`` skips them; production and ``make test`` run on
PostgreSQL. The invariants they add are also checked by the services, so the quick start
behaves alike; only the second line of defence is PostgreSQL's.

- ``PostgresOnlySQL``: raw SQL (triggers, functions, CHECKs over JSON).
- ``AddConstraintOnPostgres``: a constraint only PostgreSQL can enforce (an exclusion
  constraint); the migration state holds it either way, so ``makemigrations`` stays quiet.
"""

from django.db import migrations


class _OnPostgres:
    """Run the operation's database side on PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgresOnlySQL(_OnPostgres, migrations.RunSQL):
    pass


class AddConstraintOnPostgres(_OnPostgres, migrations.AddConstraint):
    pass
