"""Migration operations shared by the apps.

``AddConstraintOnPostgres``: a constraint only PostgreSQL can enforce (an exclusion constraint)
is created there and skipped on the embedded SQLite database of ``make run``; the migration state
holds it either way, so ``makemigrations`` stays quiet. The services check the same rule, so the
quick start behaves alike; only the second line of defence is PostgreSQL's.
"""

from django.db import migrations


class AddConstraintOnPostgres(migrations.AddConstraint):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
