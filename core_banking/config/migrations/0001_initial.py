from django.db import migrations, models

from core_banking.common.migration_operations import PostgresOnlySQL

# Generations come from a sequence, which a rollback does not give back: a number names one
# committed state of its domain, never two (a rolled-back write cannot make a later state
# look like one a process has cached).
BUMP_FUNCTION = """
CREATE FUNCTION config_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO config_generation (domain, generation) VALUES (TG_ARGV[0], nextval('config_generation_seq'))
        ON CONFLICT (domain) DO UPDATE SET generation = EXCLUDED.generation;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ConfigGeneration",
            fields=[
                ("domain", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("generation", models.BigIntegerField(default=0)),
            ],
            options={"db_table": "config_generation", "verbose_name": "configuration generation"},
        ),
        PostgresOnlySQL("CREATE SEQUENCE config_generation_seq", "DROP SEQUENCE config_generation_seq"),
        PostgresOnlySQL(BUMP_FUNCTION, "DROP FUNCTION config_generation_bump()"),
    ]
