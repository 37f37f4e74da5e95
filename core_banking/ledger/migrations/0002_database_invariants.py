"""Invariants the database enforces itself, whoever writes (PostgreSQL only; see
core_banking.common.migration_operations), plus the reference data the ledger needs to run."""

from django.db import migrations

from core_banking.common.migration_operations import PostgresOnlySQL

BALANCED_SQL = r"""
CREATE OR REPLACE FUNCTION ledger_check_posting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced record;
  allowed smallint;
BEGIN
  SELECT p.currency_id, sum(p.amount) AS total INTO unbalanced
    FROM ledger_posting p
   WHERE p.entry_id = NEW.entry_id
   GROUP BY p.currency_id
  HAVING sum(p.amount) <> 0
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: entry % does not balance: % is off by %',
      NEW.entry_id, unbalanced.currency_id, unbalanced.total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  SELECT exponent INTO allowed FROM ledger_currency WHERE code = NEW.currency_id;
  IF scale(trim_scale(NEW.amount)) > allowed THEN
    RAISE EXCEPTION 'ledger: posting % amount % has more than % decimal places for %',
      NEW.id, NEW.amount, allowed, NEW.currency_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_posting_exponent';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_posting_balanced
  AFTER INSERT ON ledger_posting
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_posting();

CREATE OR REPLACE FUNCTION ledger_check_entry_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT 1 FROM ledger_posting WHERE entry_id = NEW.id LIMIT 2) AS two) < 2 THEN
    RAISE EXCEPTION 'ledger: entry % has fewer than two postings', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_has_postings';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_has_postings
  AFTER INSERT ON ledger_entry
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_has_postings();

ALTER TABLE ledger_posting
  ADD CONSTRAINT ledger_posting_account_currency
  FOREIGN KEY (account_id, currency_id) REFERENCES ledger_ledgeraccount (id, currency_id)
  DEFERRABLE INITIALLY DEFERRED;
"""

BALANCED_REVERSE_SQL = r"""
ALTER TABLE ledger_posting DROP CONSTRAINT IF EXISTS ledger_posting_account_currency;
DROP TRIGGER IF EXISTS ledger_entry_has_postings ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_check_entry_has_postings();
DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_check_posting();
"""

def load_reference_data(apps, schema_editor):
    from core_banking.ledger.reference import ensure_reference_data

    ensure_reference_data(apps.get_model("ledger", "Currency"), apps.get_model("ledger", "LedgerChain"))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        PostgresOnlySQL(BALANCED_SQL, BALANCED_REVERSE_SQL),
        migrations.RunPython(load_reference_data, migrations.RunPython.noop),
    ]
