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


class TrackConfig(PostgresOnlySQL):
    """Bump configuration ``domain``'s generation (``core_banking.config``) after every statement
    that writes ``table``, in the writing transaction, so that the processes caching the domain
    (``core_banking.config.cache``) reload it at their next read. Needs the migration
    ``("config", "0001_initial")`` among the dependencies."""

    def __init__(self, table: str, domain: str):
        trigger = f"{table}_config_{domain}"
        super().__init__(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION config_generation_bump('{domain}')",
            f"DROP TRIGGER {trigger} ON {table}",
        )
        self.table, self.domain = table, domain

    def deconstruct(self):
        return self.__class__.__qualname__, [self.table, self.domain], {}
